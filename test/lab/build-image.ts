// `npm run lab:image`: builds the lab's Debian image (and its bare variant) now (or says it is cached), so that the
// first lab test does not wait for it. CI runs it as its own step, with its time.
import { ensureBareImage, ensureLabImage } from './image.js';
import { labMissing } from './scenario.js';

const missing = labMissing();
if (missing) {
  console.error(`lab image: ${missing}`);
  process.exit(1);
}
const image = ensureLabImage((line) => console.log(line));
console.log(image.built ? `lab image built in ${image.seconds.toFixed(0)} s: ${image.dir}` : `lab image cached: ${image.dir}`);
const bare = ensureBareImage((line) => console.log(line));
console.log(bare.built ? `bare lab image derived in ${bare.seconds.toFixed(0)} s: ${bare.dir}` : `bare lab image cached: ${bare.dir}`);
