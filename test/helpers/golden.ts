// Golden files of a pure generator: testdata/<case>.json is a hand-written model and
// testdata/<case>.<ext> the generator's reviewed output (`vitest -u` rewrites them).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

export interface Golden<M> {
  cases: string[];
  load: (name: string) => M;
}

/** The cases in `dir` and a loader for their models; checks each against its golden file. */
export function goldenFiles<M>(dir: string, ext: string, render: (model: M) => string): Golden<M> {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  // The model is hand-written test data in the generator's own model type.
  const load = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as M;
  test.each(cases)('%s matches its golden file', async (name) => {
    await expect(render(load(name))).toMatchFileSnapshot(join(dir, `${name}.${ext}`));
  });
  return { cases, load };
}
