// SPDX-License-Identifier: MIT
//
// bench.js - time face-api's own pipeline stages on the tfjs WASM backend,
// one thread, as the Node/WASM anchor of `make -C agent bench`.
// Arguments: MODEL_PKG_DIR RGB_FILE WIDTH HEIGHT OUT.txt
// Writes lines "stage milliseconds" (minimum over the runs): det320, det416,
// landmarks, descriptor.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

async function timeit(fn, reps) {
  await fn(); // warm-up
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function main() {
  const [pkgDir, rgbFile, w, h, outFile] = process.argv.slice(2);
  const faceapi = require(path.join(pkgDir, 'dist/face-api.node-wasm.js'));
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(wasmDir + '/', false);
  if (wasm.setThreadsCount) wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(pkgDir, 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const width = parseInt(w, 10);
  const height = parseInt(h, 10);
  const frame = tf.tensor3d(new Int32Array(fs.readFileSync(rgbFile)), [height, width, 3], 'int32');
  const reps = 10;
  const res = {};
  for (const size of [320, 416]) {
    const opts = new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: 0.5 });
    res[`det${size}`] = await timeit(() => faceapi.nets.tinyFaceDetector.locateFaces(frame, opts), reps);
  }
  const dets = await faceapi.nets.tinyFaceDetector.locateFaces(frame, new faceapi.TinyFaceDetectorOptions({ inputSize: 320 }));
  if (dets.length) {
    const [face] = await faceapi.extractFaceTensors(frame, [dets[0]]);
    res.landmarks = await timeit(async () => { await faceapi.nets.faceLandmark68Net.detectLandmarks(face); }, reps);
    const crop = tf.image.resizeBilinear(face, [150, 150]);
    res.descriptor = await timeit(() => faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop), reps);
  }
  fs.writeFileSync(outFile, Object.entries(res).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('\n') + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
