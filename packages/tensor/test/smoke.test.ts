import { tensor, matmul } from '@seqlab/tensor';
test('matmul of small matrices', () => {
  expect(matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray()).toEqual([[11]]);
});
