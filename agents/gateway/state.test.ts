// The gateway's state on disk: a snapshot plus a log of changes, on a real directory.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '../../test/helpers/server.js';
import { GatewayState } from './state.js';

const KEY = (i: number) => `${Buffer.alloc(32, i).toString('base64')}`;
const peer = (i: number, session?: number) => ({ publicKey: KEY(i), allowedIps: [`10.0.0.${i}/32`], appliedAt: 1000 + i, ...(session === undefined ? {} : { session }) });

describe('gateway state', () => {
  test('changes survive a reload; a change appends one line, not a new snapshot', () => {
    using tmp = tempDir();
    const errors: string[] = [];
    const st = GatewayState.load(tmp.dir, (e) => errors.push(e.message), 5000);
    st.replace('hq', { revision: 1, policy: { mfa: true, disconnectThreshold: 60 }, peers: new Map([[KEY(1), peer(1, 7)]]), expired: new Map() });
    const snapshot = readFileSync(join(tmp.dir, 'state.json'), 'utf8');
    st.record([{ op: 'set', loc: 'hq', peer: peer(2, 8) }, { op: 'meta', loc: 'hq', revision: 2, policy: { mfa: true, disconnectThreshold: 60 } }]);
    st.record([{ op: 'del', loc: 'hq', key: KEY(1) }, { op: 'expire', loc: 'hq', entry: { session: 7, publicKey: KEY(1), lastActivity: 900, at: '2026-12-01T00:00:00.000Z' } }]);
    expect(readFileSync(join(tmp.dir, 'state.json'), 'utf8')).toBe(snapshot);
    expect(readFileSync(join(tmp.dir, 'state.log'), 'utf8').trim().split('\n')).toHaveLength(4);

    const again = GatewayState.load(tmp.dir, (e) => errors.push(e.message), 6000);
    const hq = again.locations.get('hq')!;
    expect(hq.revision).toBe(2);
    expect(hq.policy).toEqual({ mfa: true, disconnectThreshold: 60 });
    expect([...hq.peers.values()]).toEqual([peer(2, 8)]);
    expect([...hq.expired.keys()]).toEqual([7]);
    again.record([{ op: 'ack', loc: 'hq', sessions: [7] }]);
    expect(GatewayState.load(tmp.dir, () => undefined, 0).locations.get('hq')!.expired.size).toBe(0);
    expect(errors).toEqual([]);
  });

  test('the log is folded into a snapshot once it outgrows the peers', () => {
    using tmp = tempDir();
    const st = GatewayState.load(tmp.dir, () => undefined, 0);
    for (let i = 0; i < 1001; i++) st.record([{ op: 'set', loc: 'hq', peer: peer(i % 200) }]);
    expect(readFileSync(join(tmp.dir, 'state.log'), 'utf8').split('\n').filter(Boolean).length).toBeLessThan(10);
    expect(GatewayState.load(tmp.dir, () => undefined, 0).locations.get('hq')!.peers.size).toBe(200);
  });

  test('a torn last line is ignored; a damaged earlier one is reported and skipped', () => {
    using tmp = tempDir();
    const st = GatewayState.load(tmp.dir, () => undefined, 0);
    st.record([{ op: 'set', loc: 'hq', peer: peer(1) }]);
    appendFileSync(join(tmp.dir, 'state.log'), '{"op":"set","loc":"hq","pe');
    const errors: string[] = [];
    expect(GatewayState.load(tmp.dir, (e) => errors.push(e.message), 0).locations.get('hq')!.peers.size).toBe(1);
    expect(errors).toEqual([]);
    st.compact(); // peer 1 now lives in the snapshot
    writeFileSync(join(tmp.dir, 'state.log'), `garbage\n${JSON.stringify({ op: 'set', loc: 'hq', peer: peer(3) })}\n`);
    const st2 = GatewayState.load(tmp.dir, (e) => errors.push(e.message), 0);
    expect([...st2.locations.get('hq')!.peers.keys()]).toEqual([KEY(1), KEY(3)]);
    expect(errors).toEqual(['state.log line 1 is damaged; skipped']);
  });

  test('a log left behind a newer snapshot (a crash between the two writes) replays to the same state', () => {
    using tmp = tempDir();
    const st = GatewayState.load(tmp.dir, () => undefined, 0);
    st.record([{ op: 'set', loc: 'hq', peer: peer(1) }, { op: 'set', loc: 'hq', peer: peer(2) }, { op: 'del', loc: 'hq', key: KEY(1) }]);
    const log = readFileSync(join(tmp.dir, 'state.log'), 'utf8');
    st.compact();
    writeFileSync(join(tmp.dir, 'state.log'), log);
    expect([...GatewayState.load(tmp.dir, () => undefined, 0).locations.get('hq')!.peers.keys()]).toEqual([KEY(2)]);
  });

  test("a 0.1.0 agent's state.json is read: its peers come back, their idle clocks start now", () => {
    using tmp = tempDir();
    writeFileSync(join(tmp.dir, 'state.json'), JSON.stringify({ version: 1, locations: { hq: { revision: 4, peers: [{ publicKey: KEY(1), allowedIps: ['10.0.0.1/32'] }] } } }));
    const hq = GatewayState.load(tmp.dir, () => undefined, 4242).locations.get('hq')!;
    expect(hq.revision).toBe(4);
    expect([...hq.peers.values()]).toEqual([{ publicKey: KEY(1), allowedIps: ['10.0.0.1/32'], appliedAt: 4242 }]);
  });

  test('a damaged snapshot starts empty and says so', () => {
    using tmp = tempDir();
    writeFileSync(join(tmp.dir, 'state.json'), '{"version":2,"locations":{"hq":{"revision":"x"}}}');
    const errors: string[] = [];
    expect(GatewayState.load(tmp.dir, (e) => errors.push(e.message), 0).locations.size).toBe(0);
    expect(errors[0]).toMatch(/^state\.json is damaged/);
  });
});
