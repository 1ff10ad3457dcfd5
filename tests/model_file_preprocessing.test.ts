/**
 * Model files with preprocessing: a TextVectorization inside the model keeps its vocabulary in
 * its layer config, a Tokenizer is saved beside the model; both come back through `customObjects`
 * (@seqlab/layers does not import @seqlab/datasets).
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { TextVectorization, Tokenizer } from '@seqlab/datasets';
import { Dense, Embedding, LSTM, Sequential, loadModel, setSeed } from '@seqlab/layers';

const texts = ['A wonderful film, moving and funny.', 'Terrible plot; awful acting.', 'I loved every minute of it', 'Boring, slow and far too long'];

test('a TextVectorization model and a Tokenizer survive save / loadModel', async () => {
  setSeed(2);
  const tv = new TextVectorization({ maxTokens: 50, outputSequenceLength: 8 });
  tv.adapt(texts);
  const model = new Sequential([tv, new Embedding({ inputDim: 50, outputDim: 4, maskZero: true }), new LSTM({ units: 3 }), new Dense({ units: 1, activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  await model.fit(texts, T.tensor([[1], [0], [1], [0]]), { epochs: 2, verbose: 0 });
  const tokenizer = new Tokenizer({ numWords: 20, oovToken: '<oov>' }).fitOnTexts(texts);

  const bytes = await model.save(undefined, { preprocessing: { tokenizer } });
  await expect(loadModel(bytes)).rejects.toThrow(/unknown class 'TextVectorization'.*customObjects: \{ TextVectorization \}/);
  const again = await loadModel(bytes, { customObjects: { TextVectorization, Tokenizer } });
  const probe = ['a wonderful minute', 'slow acting and an unseen word'];
  expect(Array.from((again.predict(probe) as Tensor).data)).toEqual(Array.from((model.predict(probe) as Tensor).data));
  const tv2 = (again.layers[0] as unknown as { vectorizer: TextVectorization }).vectorizer;
  expect(tv2).toBeInstanceOf(TextVectorization);
  expect(tv2.getVocabulary()).toEqual(tv.getVocabulary());
  const tok2 = again.preprocessing.tokenizer as Tokenizer;
  expect(tok2).toBeInstanceOf(Tokenizer);
  expect(tok2.textsToSequences(probe)).toEqual(tokenizer.textsToSequences(probe));
  // without the class, the tokenizer comes back as its JSON text
  const raw = await loadModel(bytes, { customObjects: { TextVectorization } });
  expect(Tokenizer.fromJSON(raw.preprocessing.tokenizer as string).textsToSequences(probe)).toEqual(tokenizer.textsToSequences(probe));
});
