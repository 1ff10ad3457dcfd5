// Placeholder main job until the adding-problem experiment exists: a short tensor demo.
const t = require('@seqlab/tensor');
const a = t.randomNormal([3, 4], 0, 1, { seed: 1 });
const b = t.randomNormal([4, 2], 0, 1, { seed: 2 });
console.log('a·b =', JSON.stringify(t.matmul(a, b).toArray()));
