// What a refused nginx configuration shows: nginx's own last words on one line, without its
// lines about the test itself. The input is the shape of `nginx -t -q -e stderr` output.
import { describe, expect, test } from 'vitest';
import { nginxTail } from './nginx.js';

describe('nginxTail', () => {
  test('keeps the last five lines that say something, trimmed, joined with "; "', () => {
    const out = [
      'nginx: [emerg] one',
      '   ',
      'nginx: [emerg] two  ',
      '  nginx: [emerg] three',
      'nginx: [warn] four',
      'nginx: the configuration file /run/bulwark-balancer/nginx.conf.next syntax is ok',
      'nginx: [emerg] five',
      'nginx: configuration file /run/bulwark-balancer/nginx.conf.next test is successful',
      '\tnginx: [emerg] six\t',
      '',
    ].join('\n');
    expect(nginxTail(out)).toBe('nginx: [emerg] two; nginx: [emerg] three; nginx: [warn] four; nginx: [emerg] five; nginx: [emerg] six');
  });

  test('nothing but noise is an empty tail', () => {
    expect(nginxTail('nginx: the configuration file x syntax is ok\nnginx: configuration file x test is successful\n')).toBe('');
  });
});
