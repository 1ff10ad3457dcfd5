/**
 * `npm start`: the main job. SimpleRNN, LSTM and GRU on the adding problem at increasing
 * sequence lengths; prints a results table and writes plots to examples/output/start/.
 * `npm start -- --smoke` runs a tiny version.
 */
import { run } from './examples/adding';

run({ smoke: process.argv.includes('--smoke') }).catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
