// Option tables: the flags they add, the values commander gives the action, and the flag an
// error on a contract field names.
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { addOptions, flag, flagsByField, negation, repeated, required, text, toggle, wholeNumber, withDefault, type OptionSpecs } from './options.js';

function parse(specs: OptionSpecs, argv: string[]) {
  const cmd = addOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }).argument('<name>'), specs);
  cmd.parse(['x', ...argv], { from: 'user' });
  return { cmd, opts: cmd.opts() };
}

describe('option tables', () => {
  const specs = {
    lbHost: text('<host>', 'the host'),
    network: required('<cidr>'),
    format: withDefault('<format>', 'nginx or envoy', 'envoy'),
    routerId: wholeNumber('<n>', 'router id', 1),
    route: repeated('<cidr>', 'a route', { field: 'routes' }),
    routes: negation('no routes'),
    mfa: toggle('require MFA', 'do not require MFA'),
    pubkey: text('<key>', 'public key', { field: 'publicKey' }),
    json: flag('print JSON'),
  };

  test('the flag is the key in kebab case, in the table order; a toggle adds --x and --no-x', () => {
    const { cmd } = parse(specs, ['--network', 'n']);
    expect(cmd.options.map((o) => o.flags)).toEqual(['--lb-host <host>', '--network <cidr>', '--format <format>', '--router-id <n>', '--route <cidr>', '--no-routes', '--mfa', '--no-mfa', '--pubkey <key>', '--json']);
  });

  test('the action gets what the table says', () => {
    expect(parse(specs, ['--network', 'n']).opts).toEqual({ network: 'n', format: 'envoy', routes: true });
    expect(parse(specs, ['--network', 'n', '--route', 'a', '--route', 'b', '--no-routes', '--no-mfa', '--router-id', '7', '--lb-host', 'h']).opts).toEqual({
      network: 'n',
      format: 'envoy',
      route: ['a', 'b'],
      routes: false,
      mfa: false,
      routerId: 7,
      lbHost: 'h',
    });
  });

  test('a bad whole number names its flag', () => {
    expect(() => parse(specs, ['--network', 'n', '--router-id', '0'])).toThrow('--router-id: "0" is not a whole number of at least 1');
  });

  test('an error on a contract field names the flag that filled it, the first one if two do', () => {
    const { cmd } = parse(specs, ['--network', 'n']);
    expect(flagsByField(cmd, specs)).toMatchObject({ name: 'NAME', lbHost: '--lb-host', routes: '--route', publicKey: '--pubkey', routerId: '--router-id' });
  });

  test('a key commander would read under another name is a bug, caught when the command is built', () => {
    // --no-routes is commander's negation of `routes`: a table names it `routes: negation(…)`.
    expect(() => addOptions(new Command('t'), { noRoutes: flag('no routes') })).toThrow(/read as routes, not as its key noRoutes/);
  });
});
