// `npm run lab:image`: builds the lab's Debian image now (or says it is cached), so that the
// first lab test does not wait for it. CI runs it as its own step, with its time.
import { ensureLabImage } from './image.js';
import { labMissing } from './scenario.js';

const missing = labMissing();
if (missing) {
  console.error(`lab image: ${missing}`);
  process.exit(1);
}
const image = ensureLabImage((line) => console.log(line));
console.log(image.built ? `lab image built in ${image.seconds.toFixed(0)} s: ${image.dir}` : `lab image cached: ${image.dir}`);
