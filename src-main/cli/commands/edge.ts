// `bulwark edge …`: the hosts that serve the public pages (enrollment, MFA), the name browsers
// use for them, and the HAProxy in front of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { EdgePublic } from '../../contract/index.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { keyValues, safe, table } from '../format.js';
import { json, parsed, repeated, required, text } from '../options.js';

/** A PEM file the admin names: read here, on the admin's machine, and sent to Core. */
const pemFile = (what: string, field: string) =>
  ({
    ...parsed('<file>', `${what} (PEM)`, (path: string) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new InvalidArgumentError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of the ${what}`);
      }
    }),
    field,
  }) as ReturnType<typeof parsed<string>>;

function describe(p: EdgePublic): string {
  const tls = p.tls.source === 'ca' ? "issued by Bulwark's CA: browsers will not trust it (fine for a lab; give your own with --tls-cert and --tls-key)" : 'yours';
  return keyValues([
    ['Public name', p.publicName],
    ['Balancer', p.balancer ?? 'none (you run your own proxy; see "bulwark edge nginx-config")'],
    ['Certificate', `${tls}, valid until ${p.tls.notAfter}`],
    ['Trusted proxies', p.trustedProxies.join(', ') || (p.balancer ? 'the balancer' : 'none: the edges take the connection\'s address as the client\'s; add yours with --trusted-proxy')],
    ['Fingerprint', p.tls.fingerprint256],
  ]);
}

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const edge = program.command('edge').description('the public side: hosts serving enrollment and MFA pages, their name and their load balancer');
  const host = required('<name>');
  const tlsCert = pemFile('certificate for the public name, chain included', 'tlsCertPem');
  const tlsKey = pemFile("certificate's private key", 'tlsKeyPem');
  const trustedProxy = repeated('<address>', 'an address your own proxy reaches the edges from; the edges believe its X-Forwarded-For (repeat for more)', { field: 'trustedProxies' });

  cli.command(edge, 'add', 'make a host an edge', { host, json }, async (o, cmd) => {
    const e = await client(cmd).call('edges.add', { host: o.host });
    if (o.json) return cli.json(e);
    io.out(`Host ${safe(e.host)} is now an edge\n`);
  });

  cli.command(edge, 'list', 'list edges', { json }, async (o, cmd) => {
    const list = await client(cmd).call('edges.list', {});
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No edges. Add one with "bulwark edge add --host H".\n');
    io.out(table(['HOST', 'SSH'], list.map((e) => [e.host, e.address])));
  });

  cli.command(edge, 'remove', 'stop using a host as an edge', { host }, async (o, cmd) => {
    await client(cmd).call('edges.remove', { host: o.host });
    io.out(`Host ${safe(o.host)} is no longer an edge\n`);
  });

  const publicName = required('<name>', 'the DNS name (or IP) browsers use, e.g. vpn.example.com', { field: 'publicName' });

  cli.command(
    edge,
    'balancer',
    'run HAProxy for all edges on a host (with active checks and retries), under the public name; apply with "bulwark provision apply"',
    { host: required('<name>', 'the host to run HAProxy on', { field: 'balancer' }), publicName, tlsCert, tlsKey, trustedProxy, json },
    async (o, cmd) => {
      const p = await client(cmd).call('edges.setPublic', { publicName: o.publicName, balancer: o.host, trustedProxies: o.trustedProxy ?? [], ...(o.tlsCert !== undefined ? { tlsCertPem: o.tlsCert } : {}), ...(o.tlsKey !== undefined ? { tlsKeyPem: o.tlsKey } : {}) });
      if (o.json) return cli.json(p);
      io.out(describe(p));
      io.out(`\nNext: "bulwark provision plan" shows what changes on ${safe(o.host)} and the edges, then "bulwark provision apply".\n`);
    },
  );

  cli.command(edge, 'public-name', 'set the public name without a Bulwark balancer (you run your own proxy in front of the edges)', { publicName, tlsCert, tlsKey, trustedProxy, json }, async (o, cmd) => {
    const p = await client(cmd).call('edges.setPublic', { publicName: o.publicName, balancer: null, trustedProxies: o.trustedProxy ?? [], ...(o.tlsCert !== undefined ? { tlsCertPem: o.tlsCert } : {}), ...(o.tlsKey !== undefined ? { tlsKeyPem: o.tlsKey } : {}) });
    if (o.json) return cli.json(p);
    io.out(describe(p));
  });

  cli.command(
    edge,
    'nginx-config',
    "print an nginx configuration for your own proxy in front of the edges (passive checks only: see docs/edge.md); --ca-out writes Core's CA, which it needs to verify the edges",
    { certificate: text('<path>', 'where your nginx keeps the public certificate'), certificateKey: text('<path>', 'and its key'), caFile: text('<path>', "where your nginx keeps Bulwark's CA"), caOut: text('<file>', "write Bulwark's CA (PEM) to this file") },
    async (o, cmd) => {
      const r = await client(cmd).call('edges.nginxConfig', { ...(o.certificate ? { certificate: o.certificate } : {}), ...(o.certificateKey ? { certificateKey: o.certificateKey } : {}), ...(o.caFile ? { caFile: o.caFile } : {}) });
      if (o.caOut) writeFileSync(o.caOut, r.caPem, { mode: 0o644 });
      io.out(r.config);
    },
  );

  cli.command(edge, 'show', 'the public name, its certificate and the balancer', { json }, async (o, cmd) => {
    const p = await client(cmd).call('edges.public', {});
    if (o.json) return cli.json(p);
    if (!p) return io.out('No public name yet. Set one with "bulwark edge balancer --host H --public-name vpn.example.com".\n');
    io.out(describe(p));
  });
}
