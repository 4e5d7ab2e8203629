import { expect, test } from 'vitest';
import { parseHaproxyStat } from './haproxy-stats.js';

// The shape of HAProxy 2.6's `show stat` (columns cut after the ones read; HAProxy prints ~100).
const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc';
const row = (px: string, sv: string, status: string, lastchg: string, check: string, desc: string) => {
  const f = HEADER.slice(2).split(',').map(() => '');
  const set = (name: string, v: string) => (f[HEADER.slice(2).split(',').indexOf(name)] = v);
  set('pxname', px);
  set('svname', sv);
  set('status', status);
  set('lastchg', lastchg);
  set('check_status', check);
  set('check_desc', desc);
  return f.join(',');
};

test('each edge of the backend: in rotation or not, with the failed check that says why', () => {
  const csv = [
    HEADER,
    row('https_in', 'FRONTEND', 'OPEN', '', '', ''),
    row('bulwark_edges', 'edge-e1', 'UP', '42', 'L7OK', 'Layer7 check passed'),
    row('bulwark_edges', 'edge-e2', 'DOWN', '3', 'L7STS', 'Layer7 wrong status'),
    row('bulwark_edges', 'edge-e3', 'UP 1/2', '10', '*L4CON', 'Connection refused'),
    row('bulwark_edges', 'BACKEND', 'UP', '42', '', ''),
    row('other', 'edge-x', 'UP', '1', 'L7OK', ''),
    '',
  ].join('\n');
  expect(parseHaproxyStat(csv, 'bulwark_edges')).toEqual([
    { host: 'e1', inRotation: true, status: 'UP', check: null, sinceSeconds: 42 },
    { host: 'e2', inRotation: false, status: 'DOWN', check: 'L7STS: Layer7 wrong status', sinceSeconds: 3 },
    { host: 'e3', inRotation: true, status: 'UP 1/2', check: 'L4CON: Connection refused', sinceSeconds: 10 },
  ]);
});

test('an answer that is not a stat table gives no edges', () => {
  expect(parseHaproxyStat('Unknown command\n', 'bulwark_edges')).toEqual([]);
});
