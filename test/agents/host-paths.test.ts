// The programs on a host take every path and port Bulwark owns there from the one host layout
// (src-main/contract/host-layout.ts), which the plan and host-apply use too: an agent that kept
// its own copy would drift from what provisioning sets up. Reads the agents' sources, comments
// left out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers/server.js';

/** What the layout owns: Bulwark's directories, wireguard-go's sockets, keepalived's FIFO, the agents' ports. */
const OWNED = /\/(etc|opt|var\/lib)\/bulwark\b|\/run\/(bulwark|wireguard)\b|keepalived\.(fifo|pid)|['"`/]nginx\.(pid|conf)\b|\b94[67]\d\b/;

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

test('no agent hard-codes a host path or port that the host layout owns', () => {
  const sources = (readdirSync(join(ROOT, 'agents'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(sources.length).toBeGreaterThan(10);
  const found = sources.flatMap((f) =>
    withoutComments(readFileSync(join(ROOT, 'agents', f), 'utf8'))
      .split('\n')
      .filter((line) => OWNED.test(line))
      .map((line) => `agents/${f}: ${line.trim()}`),
  );
  expect(found, 'import the path or port from src-main/contract/host-layout.ts (add it there if it is missing)').toEqual([]);
});
