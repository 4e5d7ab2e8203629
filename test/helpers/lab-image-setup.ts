// Vitest global setup: when this run includes lab tests and the machine can run them, builds the
// lab image once, before any test file starts. The build (1.5 to 4 minutes on a fresh machine,
// most of it downloading Debian) then counts against no test's timeout, and test files running
// in parallel never build it twice.
import type { TestProject } from 'vitest/node';
import { ensureLabImage } from '../lab/image.js';
import { labMissing } from '../lab/scenario.js';

export default async function setup(project: TestProject): Promise<void> {
  if (labMissing()) return;
  // The command line's file filters (`vitest run test/lab/x.test.ts`): Vitest sets them before
  // global setup runs (4.1) but keeps the field out of its public types.
  const given: unknown = Reflect.get(project.vitest, 'filenamePattern');
  const filters = Array.isArray(given) ? given.filter((f): f is string => typeof f === 'string') : undefined;
  const { testFiles } = await project.globTestFiles(filters);
  if (!testFiles.some((f) => f.includes('/test/lab/'))) return;
  const image = ensureLabImage((line) => console.log(line));
  if (image.built) console.log(`lab image built in ${image.seconds.toFixed(0)} s`);
}
