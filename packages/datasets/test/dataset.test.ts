import { Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, batchElements, unbatchElement } from '@seqlab/datasets';
import { Tensor, tensor } from '@seqlab/tensor';

const arr = <T>(ds: Dataset<T>): Promise<T[]> => ds.toArray();

describe('Dataset', () => {
  test('fromTensorSlices: tensors row by row, string and number arrays item by item, tuples zipped', async () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const rows = (await arr(Dataset.fromTensorSlices(x))) as Tensor[];
    expect(rows.map((r) => r.toArray())).toEqual([[1, 2], [3, 4], [5, 6]]);
    const pairs = await arr(Dataset.fromTensorSlices([['a', 'b', 'c'], [0, 1, 1]]));
    expect(pairs).toEqual([['a', 0], ['b', 1], ['c', 1]]);
    expect(Dataset.fromTensorSlices(x).cardinality()).toBe(3);
    expect(() => Dataset.fromTensorSlices([['a'], [1, 2]])).toThrow(/component 1 has 2 rows but component 0 has 1/);
    expect(await arr(Dataset.fromTensors('one'))).toEqual(['one']);
  });

  test('every pass reads the source again (fromGenerator calls its function once per pass)', async () => {
    let calls = 0;
    const ds = Dataset.fromGenerator(function* () {
      calls++;
      yield* [1, 2, 3];
    });
    expect(await arr(ds)).toEqual([1, 2, 3]);
    expect(await arr(ds)).toEqual([1, 2, 3]);
    expect(calls).toBe(2);
    expect(ds.cardinality()).toBe(UNKNOWN_CARDINALITY);
    const asyncDs = Dataset.fromGenerator(async function* () {
      yield 'a';
      yield 'b';
    });
    expect(await arr(asyncDs)).toEqual(['a', 'b']);
  });

  test('map (sync and async), filter, take, skip, repeat with their cardinalities', async () => {
    const ds = Dataset.range(10);
    expect(await arr(ds.map((v) => v * 2).take(3))).toEqual([0, 2, 4]);
    expect(await arr(ds.map(async (v) => v + 1).skip(8))).toEqual([9, 10]);
    expect(await arr(ds.filter((v) => v % 3 === 0))).toEqual([0, 3, 6, 9]);
    expect(ds.filter(() => true).cardinality()).toBe(UNKNOWN_CARDINALITY);
    expect(ds.take(4).cardinality()).toBe(4);
    expect(ds.skip(4).cardinality()).toBe(6);
    expect(ds.skip(40).cardinality()).toBe(0);
    expect(await arr(Dataset.range(3).repeat(2))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Dataset.range(3).repeat(2).cardinality()).toBe(6);
    expect(Dataset.range(3).repeat().cardinality()).toBe(INFINITE_CARDINALITY);
    expect(await arr(Dataset.range(3).repeat().take(7))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(Dataset.range(3).repeat().take(7).cardinality()).toBe(7);
    await expect(Dataset.range(3).repeat().toArray()).rejects.toThrow(/infinite/);
  });

  test('batch stacks tensors, collects strings, turns numbers into a tensor; dropRemainder; unbatch undoes it', async () => {
    const ds = Dataset.fromTensorSlices([['a', 'b', 'c', 'd', 'e'], [0, 1, 0, 1, 1]]);
    const batches = (await arr(ds.batch(2))) as [string[], Tensor][];
    expect(batches.map(([t]) => t)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches[0][1].shape).toEqual([2]);
    expect(Array.from(batches[2][1].data)).toEqual([1]);
    expect(ds.batch(2).cardinality()).toBe(3);
    expect(ds.batch(2, { dropRemainder: true }).cardinality()).toBe(2);
    expect((await arr(ds.batch(2, { dropRemainder: true }))).length).toBe(2);
    const back = await arr(ds.batch(2).unbatch());
    expect(back.map((e) => [(e as [string, Tensor])[0], (e as [string, Tensor])[1].item()])).toEqual([['a', 0], ['b', 1], ['c', 0], ['d', 1], ['e', 1]]);
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const [b] = (await arr(Dataset.fromTensorSlices(x).batch(3))) as Tensor[];
    expect(b.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(await arr(Dataset.fromTensorSlices(['p', 'q', 'r']).batch(2).unbatch())).toEqual(['p', 'q', 'r']);
  });

  test('batch refuses ragged tensors and mixed elements by name', () => {
    expect(() => batchElements([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/Dataset.batch: element 1 is a tensor \[3\] but element 0 is a tensor \[2\]/);
    expect(() => batchElements(['a', 1])).toThrow(/element 1 is number but element 0 is a string/);
    expect(() => unbatchElement(tensor(3))).toThrow(/scalar/);
  });

  test('shuffle: a seeded permutation, a new order each pass, the same sequence of orders for the same seed', async () => {
    const ds = Dataset.range(50).shuffle(50, { seed: 7 });
    const a = await arr(ds);
    const b = await arr(ds);
    expect(a.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(b);
    const again = Dataset.range(50).shuffle(50, { seed: 7 });
    expect(await arr(again)).toEqual(a);
    expect(await arr(again)).toEqual(b);
    const fixed = Dataset.range(50).shuffle(50, { seed: 7, reshuffleEachIteration: false });
    expect(await arr(fixed)).toEqual(await arr(fixed));
    // a small buffer only moves elements forward by a bounded amount at the start
    const local = await arr(Dataset.range(100).shuffle(4, { seed: 1 }));
    expect(local.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    local.forEach((v, i) => expect(v).toBeLessThanOrEqual(i + 4));
  });

  test('prefetch reads ahead of the consumer; cache replays a complete first pass only', async () => {
    let produced = 0;
    const ds = Dataset.fromGenerator(async function* () {
      for (let i = 0; i < 6; i++) {
        produced++;
        yield i;
      }
    }).prefetch(3);
    const it = ds[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(produced).toBeGreaterThanOrEqual(3); // read ahead while the consumer waited
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual([1, 2, 3, 4, 5]);

    let reads = 0;
    const src = Dataset.fromGenerator(function* () {
      reads++;
      yield* [1, 2, 3];
    }).cache();
    expect(await arr(src.take(2))).toEqual([1, 2]); // stopped early: not kept
    expect(await arr(src)).toEqual([1, 2, 3]);
    expect(await arr(src)).toEqual([1, 2, 3]);
    expect(reads).toBe(2);
  });

  test('bad arguments are refused by name', () => {
    const ds = Dataset.range(3);
    expect(() => ds.batch(0)).toThrow(/Dataset.batch: batchSize must be an integer >= 1, received 0/);
    expect(() => ds.shuffle(1.5)).toThrow(/Dataset.shuffle: bufferSize/);
    expect(() => ds.take(-1)).toThrow(/Dataset.take: count/);
    expect(() => ds.map(3 as never)).toThrow(/Dataset.map: expected a function/);
    expect(() => Dataset.fromGenerator(5 as never)).toThrow(/Dataset.fromGenerator/);
  });
});
