/** Every example, in the order of the seeds. `npm run example -- <name>` runs one. */
import type { Example } from '../lib/common';
import { example as adding } from './adding';
import { example as bptt } from './bptt';
import { example as preprocessing } from './preprocessing';
import { example as layerShapes } from './layer-shapes';
import { example as hamlet } from './hamlet-charlm';
import { lstmExample as imdbLstm, rnnExample as imdbRnn } from './imdb';
import { example as imdbTv } from './imdb-textvectorization';
import { bilstmExample, lstmExample } from './mnist-autoencoder';
import { example as movingModels } from './moving-models';

export const examples: Example[] = [adding, preprocessing, layerShapes, imdbRnn, imdbLstm, imdbTv, lstmExample, bilstmExample, hamlet, bptt, movingModels];
