// `bulwark events`: the audit trail, and with --follow each new event as it commits.
import type { Command } from 'commander';
import { BulwarkError, EventKind, type CoreEvent } from '../../contract/index.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe } from '../format.js';
import { flag, json, text, wholeNumber } from '../options.js';

function eventKind(value: string): EventKind {
  const r = EventKind.safeParse(value);
  if (!r.success) throw BulwarkError.field('--kind', `"${value}" is not an event kind; use one of ${EventKind.options.join(', ')}`);
  return r.data;
}

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const options = {
    limit: wholeNumber('<n>', 'how many of the newest events to show', 1, 20),
    kind: text('<kind>', 'only events of this kind, such as core.backed_up'),
    follow: flag('keep streaming new events until interrupted'),
    json,
  };
  cli.command(program, 'events', 'show the audit trail; --follow streams new events', options, async (o, cmd) => {
    const kind = o.kind === undefined ? undefined : eventKind(o.kind);
    const c = client(cmd);
    const print = (e: CoreEvent) => (o.json ? io.out(`${JSON.stringify(e)}\n`) : io.out(`${e.time}  ${safe(e.kind).padEnd(16)}  ${safe(e.subject)}  by ${safe(e.actor)}${e.origin && e.origin !== 'in-process' ? ` via ${safe(e.origin)}` : ''}\n`));
    const list = await c.call('events.list', { limit: Math.min(o.limit, 1000), newest: true, ...(kind === undefined ? {} : { kind }) });
    if (o.json && !o.follow) return cli.json(list);
    list.forEach(print);
    if (!o.follow) return;
    // From the newest event of any kind: the stream need not replay what the filter skipped.
    const after = kind === undefined ? (list.at(-1)?.id ?? 0) : ((await c.call('events.list', { newest: true, limit: 1 }))[0]?.id ?? 0);
    const sub = await c.subscribe((m) => m.type === 'event' && (kind === undefined || m.event.kind === kind) && print(m.event), after);
    await sub.closed;
  });
}
