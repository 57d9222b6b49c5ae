// SPDX-License-Identifier: MIT
//
// make-goldens.js - run @vladmandic/face-api's own JavaScript pipeline
// (@tensorflow/tfjs with the WASM backend, not tfjs-node) on the package's
// demo images and write the golden outputs the C tests compare against.
//
// Run through scripts/face-reference/run (it installs the npm packages into
// build/face-reference/ and decodes the images with the C tool so both sides
// see the same RGB).  Arguments: MODEL_PKG_DIR RGB_LIST OUT.json
//   RGB_LIST: lines "NAME WIDTH HEIGHT RAW_RGB_FILE SHA256"
//   [EDGES.json]: crops of those images that cut a face at a frame edge,
//   [{name, edge, crop: [x, y, width, height]}], run at input size 416.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

function faceOf(r) {
  return {
    score: r.detection.score,
    box: [r.detection.box.x, r.detection.box.y, r.detection.box.width, r.detection.box.height],
    landmarks: r.landmarks.positions.map((p) => [p.x, p.y]),
    descriptor: Array.from(r.descriptor),
  };
}

async function main() {
  const [pkgDir, listFile, outFile, edgesFile] = process.argv.slice(2);
  const faceapi = require(path.join(pkgDir, 'dist/face-api.node-wasm.js'));
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(wasmDir + '/', false); // read from disk, no fetch
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(pkgDir, 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

  const out = {
    generator: 'scripts/face-reference/make-goldens.js',
    faceapi: faceapi.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    images: [],
    edges: [],
  };
  const edges = edgesFile ? JSON.parse(fs.readFileSync(edgesFile, 'utf8')) : [];
  const lines = fs.readFileSync(listFile, 'utf8').split('\n').filter((l) => l.trim());
  for (const line of lines) {
    const [name, w, h, raw, sha] = line.split(/\s+/);
    const width = parseInt(w, 10);
    const height = parseInt(h, 10);
    const rgb = fs.readFileSync(raw);
    const img = { name, width, height, rgb_sha256: sha, sizes: {} };
    const tensor = tf.tensor3d(new Int32Array(rgb), [height, width, 3], 'int32');
    for (const inputSize of [320, 416]) {
      const opts = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.5 });
      const t0 = performance.now();
      const res = await faceapi.detectAllFaces(tensor, opts).withFaceLandmarks().withFaceDescriptors();
      const ms = performance.now() - t0;
      img.sizes[inputSize] = {
        ms: Math.round(ms),
        faces: res.map(faceOf),
      };
      process.stderr.write(`${name} @${inputSize}: ${res.length} faces, ${Math.round(ms)} ms\n`);
    }
    for (const edge of edges.filter((e) => e.name === name)) {
      // the crop as a view of the same RGB: the C test slices it the same way
      const [x, y, w, h] = edge.crop;
      const crop = tf.slice(tensor, [y, x, 0], [h, w, 3]);
      const opts = new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
      const res = await faceapi.detectAllFaces(crop, opts).withFaceLandmarks().withFaceDescriptors();
      out.edges.push({ ...edge, sizes: { 416: { faces: res.map(faceOf) } } });
      process.stderr.write(`${name} cut at the ${edge.edge} edge: ${res.length} faces\n`);
      crop.dispose();
    }
    tensor.dispose();
    out.images.push(img);
  }
  fs.writeFileSync(outFile, JSON.stringify(out, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v)) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
