/** Every example, in the order of the seeds. `npm run example -- <name>` runs one. */
import type { Example } from '../lib/common';
import { example as adding } from './adding';

export const examples: Example[] = [adding];
