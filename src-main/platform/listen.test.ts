// --listen: what it accepts, what counts as loopback, and where a client on this machine dials.
import { describe, expect, test } from 'vitest';
import { isLoopback, localUrl, parseListen } from './listen.js';

describe('--listen', () => {
  test('HOST:PORT, port 0 for any free one; a bad one names the field and the form', () => {
    expect(parseListen('127.0.0.1:7420')).toEqual({ host: '127.0.0.1', port: 7420 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('127.0.0.1:99999')).toThrow(/--listen: .*use HOST:PORT such as 127\.0\.0\.1:7420/);
  });

  test('loopback is 127/8, ::1 and localhost; a wildcard is not', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', 'core.example.com'].map(isLoopback)).toEqual([false, false, false, false]);
  });

  test('a client here dials a wildcard listen on loopback, and any other address as it is', () => {
    expect(localUrl('https://0.0.0.0:7420')).toBe('https://127.0.0.1:7420');
    expect(localUrl('https://[::]:7420')).toBe('https://[::1]:7420');
    expect(localUrl('https://10.0.0.5:7420')).toBe('https://10.0.0.5:7420');
    expect(localUrl('http://127.0.0.1:41234')).toBe('http://127.0.0.1:41234');
  });
});
