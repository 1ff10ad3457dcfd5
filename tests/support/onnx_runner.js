/**
 * Runs an ONNX model with onnxruntime-web (wasm backend, one thread) in a plain Node process.
 * stdin: { model: base64 ModelProto, runs: [{ <input>: { data, dims, type } }] }
 * stdout: [{ <output>: { data, dims } }], one entry per run.
 * Or stdin { jobs: [{ model, runs }, ...] } and stdout one such list per job.
 */
const ort = require('onnxruntime-web');

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  // several models in one process (the wasm start-up is the slow part): { jobs: [{ model, runs }] }
  if (request.jobs) {
    const all = [];
    for (const job of request.jobs) all.push(await runModel(job));
    process.stdout.write(JSON.stringify(all));
    return;
  }
  process.stdout.write(JSON.stringify(await runModel(request)));
}

async function runModel(request) {
  const session = await ort.InferenceSession.create(Buffer.from(request.model, 'base64'), { executionProviders: ['wasm'] });
  const results = [];
  for (const feeds of request.runs) {
    const inputs = {};
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.type === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data);
      inputs[name] = new ort.Tensor(t.type, data, t.dims);
    }
    const out = await session.run(inputs);
    const entry = {};
    for (const [name, t] of Object.entries(out)) entry[name] = { data: Array.from(t.data), dims: t.dims };
    results.push(entry);
  }
  return results;
}

main().catch((e) => {
  process.stderr.write(`onnx_runner: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
