/**
 * `npm run example -- <name> [--smoke] [--out DIR] [--data-dir DIR] [--lr RATE] [--validate-on-test] [--epochs N] [--budget MIN]`
 *
 * Runs one example. An unknown name lists the available ones; a missing or bad data file prints
 * the datasets package's message (where it looked, how to provide the file) and exits with 1.
 */
import { DataError } from './lib/common';
import { examples } from './examples';

function usage(): string {
  const width = Math.max(...examples.map((e) => e.name.length));
  return [
    'usage: npm run example -- <name> [--smoke] [--out DIR] [--data-dir DIR] [--lr RATE] [--validate-on-test] [--epochs N] [--budget MIN]',
    '  --validate-on-test  imdb-rnn, imdb-lstm: the seed\'s protocol (validate on the test set, train on all 25,000)',
    '  --epochs N          imdb-textvectorization: N epochs per model instead of the seed\'s 10',
    '  --budget MIN        imdb-textvectorization: training time budget per model in minutes (default 7.5; 0: none)',
    '',
    'available examples:',
    ...examples.map((e) => `  ${e.name.padEnd(width)}  ${e.description}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = argv.slice();
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const smoke = flag('--smoke');
  const validateOnTest = flag('--validate-on-test');
  const outDir = value('--out');
  const dataDir = value('--data-dir');
  const lr = value('--lr');
  const learningRate = lr === undefined ? undefined : Number(lr);
  if (learningRate !== undefined && !(learningRate > 0)) {
    console.error(`--lr expects a positive number, received '${lr}'`);
    return 1;
  }
  const ep = value('--epochs');
  const epochs = ep === undefined ? undefined : Number(ep);
  if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) {
    console.error(`--epochs expects a positive integer, received '${ep}'`);
    return 1;
  }
  const bud = value('--budget');
  const budgetMinutes = bud === undefined ? undefined : Number(bud);
  if (budgetMinutes !== undefined && !(budgetMinutes >= 0)) {
    console.error(`--budget expects a number of minutes >= 0, received '${bud}'`);
    return 1;
  }
  const name = args[0];
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const example = examples.find((e) => e.name === name);
  if (!example) {
    console.error(`unknown example '${name}'\n\n${usage()}`);
    return 1;
  }
  try {
    await example.run({ smoke, outDir, dataDir, learningRate, validateOnTest, epochs, budgetMinutes });
    return 0;
  } catch (e) {
    if (e instanceof DataError) {
      console.error(`${name}: the data it needs could not be loaded.\n${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exitCode = 1;
    },
  );
}
