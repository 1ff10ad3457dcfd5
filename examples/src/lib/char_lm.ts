/**
 * The demo page's character model (examples/demo): a text cut into windows of `steps` characters,
 * each character's next one as its target (every step of a window trains, not only the last); an
 * LSTM with its outputs at every step and a Dense layer of logits over the characters; and text
 * sampled one character at a time from the last `steps` characters. No Node module, so it
 * bundles for a page (and runs in Node as it does there).
 */
import { Adam, Dense, LSTM, Sequential, sample, sparseCategoricalCrossentropy } from '@seqlab/layers';
import { Rng, Tensor, oneHot } from '@seqlab/tensor';
import { CharVocabulary, charVocabulary } from '@seqlab/datasets';

/** What the demo trains on: the vocabulary, the text as ids, one-hot windows x [n, steps, vocab] and next-character ids y [n, steps]. */
export interface CharData {
  vocab: CharVocabulary;
  ids: Int32Array;
  x: Tensor;
  y: Tensor;
}

/** Non-overlapping windows of `steps` characters of `text`, each with its next characters as targets. */
export function charLmData(text: string, steps: number): CharData {
  const vocab = charVocabulary(text);
  const ids = vocab.encode(text);
  const n = Math.floor((ids.length - 1) / steps);
  const x = new Float32Array(n * steps);
  const y = new Float32Array(n * steps);
  for (let i = 0; i < n * steps; i++) {
    x[i] = ids[i];
    y[i] = ids[i + 1];
  }
  return { vocab, ids, x: oneHot(new Tensor(x, [n, steps]), vocab.size), y: new Tensor(y, [n, steps]) };
}

/** LSTM(units) over every step and Dense logits, compiled with Adam and sparse cross-entropy from logits (nats per character). */
export function charLmModel(vocabSize: number, steps: number, units: number, learningRate: number): Sequential {
  const model = new Sequential([new LSTM({ units, returnSequences: true, inputShape: [steps, vocabSize] }), new Dense({ units: vocabSize })]);
  model.compile({ optimizer: new Adam({ learningRate, clipnorm: 5 }), loss: sparseCategoricalCrossentropy({ fromLogits: true }) });
  return model;
}

/** `length` characters after `prime` (ids, at least `steps` of them), each drawn at `temperature` from the logits of the last step. */
export function continueText(model: Sequential, vocab: CharVocabulary, prime: ArrayLike<number>, steps: number, length: number, temperature: number, rng: Rng): string {
  let window = Array.from(prime).slice(-steps);
  let out = '';
  for (let k = 0; k < length; k++) {
    const logits = model.predict(oneHot(new Tensor(Float32Array.from(window), [1, steps]), vocab.size)) as Tensor;
    const last = new Tensor(logits.data.slice((steps - 1) * vocab.size, steps * vocab.size), [vocab.size]);
    const next = sample(last, { temperature, rng }) as number;
    out += vocab.decode([next]);
    window = [...window.slice(1), next];
  }
  return out;
}
