// `bulwark failover …`: what failovers cost the clients, measured by the gateways, and drills
// that move a floating IP on purpose to measure it. (The failover settings are `location failover`.)
import type { Command } from 'commander';
import { FAILOVER_DRILL_HOLD_MS, TAKEOVER_WATCH_MS, type FailoverRecord } from '../../contract/index.js';
import { formatDuration } from '../../text/duration.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { json, wholeNumber } from '../options.js';

const ms = (v: number | null) => (v === null ? '-' : formatDuration(v));

/** One sentence: who took over, and how the clients came back. */
export function describeTakeover(r: FailoverRecord): string {
  const who = `${safe(r.gateway)} took the floating IP${r.previous ? ` from ${safe(r.previous)}` : ''} at ${r.tookAt}`;
  const clients =
    r.clients === 0
      ? 'no client with a known endpoint to start a handshake with'
      : `${r.back} of ${r.clients} clients back: median ${ms(r.medianMs)}, slowest ${ms(r.slowestMs)}${r.missing.length > 0 ? `; not back: ${r.missing.map((m) => safe(m.device ?? `${m.publicKey.slice(0, 8)}…`)).join(', ')}` : ''}`;
  const unmeasured = r.unreachable > 0 ? ` (${r.unreachable} more had no known endpoint and return by themselves)` : '';
  return `${who}; ${clients}${unmeasured}.`;
}

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const failover = program.command('failover').description('failover history measured by the gateways, and drills (settings: "bulwark location failover")');

  cli.command(
    failover,
    'history <location>',
    "the location's takeovers, newest first: how long each client took to come back",
    { limit: wholeNumber('<n>', 'how many (default 20)', 1, 20), json },
    async (location, o, cmd) => {
      const list = await client(cmd).call('failover.history', { location, limit: o.limit });
      if (o.json) return cli.json(list);
      if (list.length === 0) return io.out(`No failover of ${safe(location)} recorded yet. A drill makes one: bulwark failover drill ${safe(location)}\n`);
      io.out(
        table(
          ['WHEN', 'FROM', 'TO', 'CLIENTS', 'BACK', 'MEDIAN', 'P95', 'SLOWEST', 'KIND'],
          list.map((r) => [r.tookAt, r.previous ?? '?', r.gateway, r.clients, r.back, ms(r.medianMs), ms(r.p95Ms), ms(r.slowestMs), r.drill ? 'drill' : 'failover']),
        ),
      );
      for (const r of list.filter((x) => x.missing.length > 0)) io.out(`${r.tookAt}: not back within ${TAKEOVER_WATCH_MS / 1000} s: ${r.missing.map((m) => safe(m.device ?? m.publicKey)).join(', ')}\n`);
    },
  );

  cli.command(
    failover,
    'drill <location>',
    'move the floating IP to the standby on purpose (a planned switchover) and measure how the clients come back',
    { holdMs: wholeNumber('<ms>', `how long the master stays out before it returns as backup (default ${FAILOVER_DRILL_HOLD_MS})`, 1000, FAILOVER_DRILL_HOLD_MS), json },
    async (location, o, cmd) => {
      if (!o.json) io.out(`Drill on ${safe(location)}: the master gives up the floating IP; waiting for the standby's measurement (up to ~35 s)…\n`);
      const d = await client(cmd).call('failover.drill', { location, holdMs: o.holdMs });
      if (o.json) return cli.json(d);
      io.out(`${describeTakeover(d.record)}\n${safe(d.from)} returns as backup after ${formatDuration(o.holdMs)}.\n`);
    },
  );
}
