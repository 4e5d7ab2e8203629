import { describe, expect, test } from 'vitest';
import { allowedHosts, refuseHost } from './host-check.js';

describe('allowedHosts and refuseHost', () => {
  test.each([
    ['127.0.0.1', [], '127.0.0.1:7420', true],
    ['127.0.0.1', [], 'localhost', true],
    ['127.0.0.1', [], '[::1]:7420', true],
    ['127.0.0.1', [], '[0:0:0:0:0:0:0:1]:7420', true],
    ['127.0.0.1', [], 'evil.example', false],
    ['127.0.0.1', [], 'localhost.evil.example', false],
    ['127.0.0.1', [], 'not a host', false],
    ['10.0.0.5', ['bulwark.example.com'], 'BULWARK.example.com.:7420', true],
    ['10.0.0.5', ['bulwark.example.com'], '10.0.0.5', true],
    ['10.0.0.5', ['bulwark.example.com'], 'localhost', false],
    ['10.0.0.5', ['0:0:0:0:0:0:0:1'], '[::1]', true],
    ['0.0.0.0', [], '127.0.0.1', true],
    ['0.0.0.0', [], 'evil.example', false],
  ] as const)('listening on %s with names %j, Host %s is allowed: %s', (listen, names, host, ok) => {
    expect(refuseHost(host, allowedHosts(listen, names)) === undefined).toBe(ok);
  });

  test('no Host header is not a browser, so not a rebinding: allowed', () => {
    expect(refuseHost(undefined, allowedHosts('127.0.0.1'))).toBeUndefined();
  });
});
