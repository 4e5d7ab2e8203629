// `npm run lab:down`: removes every lab left behind by an interrupted test run (namespaces,
// links, containers started by a lab, state dirs) and says what it removed.
import { removeLabLeftovers } from './scenario.js';

const removed = removeLabLeftovers();
console.log(removed.length === 0 ? 'no lab leftovers' : `removed:\n  ${removed.join('\n  ')}`);
