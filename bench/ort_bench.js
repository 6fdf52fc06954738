// ONNX Runtime's throughput on one model at one batch, the reference of
// scripts/ort_compare.sh (npm's onnxruntime-node, CPU execution provider; not a hiedge
// dependency). Input: deterministic pixels in [0, 1), shape [BATCH, 1, 28, 28].
// Usage: node ort_bench.js MODEL.onnx BATCH THREADS SECONDS
const ort = require('onnxruntime-node');
(async () => {
  const [model, batch, threads, seconds] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const name = session.inputNames[0];
  const data = new Float32Array(batch * 784);
  for (let i = 0; i < data.length; ++i) data[i] = (i * 2654435761 % 1000) / 1000;
  const feeds = {[name]: new ort.Tensor('float32', data, [batch, 1, 28, 28])};
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    await session.run(feeds);
    ++runs;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(JSON.stringify({batch, threads, images_per_second: runs * batch / elapsed}));
})();
