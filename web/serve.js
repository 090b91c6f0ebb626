#!/usr/bin/env node
/**
 * A tiny static server for the demo page, on 127.0.0.1 only:
 *
 *   node web/serve.js MODEL_DIR [PORT]     then open http://127.0.0.1:PORT/
 *
 *   /                     web/index.html, web/app.js, web/style.css
 *   /vendor/tf.min.js     TensorFlow.js from node_modules (the page needs nothing from the internet)
 *   /vendor/wasm/…        tfjs' WASM backend (script + .wasm files), when @tensorflow/tfjs-backend-wasm is installed
 *   /model/…              MODEL_DIR: a folder written by `nst export CKPT --format tfjs --out MODEL_DIR`
 *
 * Also a library for tests: startWebServer({ modelDir, port: 0 }) -> { url, close() }.
 * Plain CommonJS JavaScript, so it runs without a build step.
 */
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const WEB_DIR = __dirname;
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

function tfjsDist() {
  return path.dirname(require.resolve('@tensorflow/tfjs/dist/tf.min.js'));
}

/** The WASM backend's dist folder, or undefined when the (optional, dev) package is not installed. */
function tfjsWasmDist() {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'));
  } catch {
    return undefined;
  }
}

/** Maps a URL path to a file inside one of the served roots, or undefined (never outside a root). */
function resolveFile(urlPath, modelDir) {
  const clean = decodeURIComponent(urlPath.split('?')[0]);
  const routes = [
    ['/vendor/wasm/', tfjsWasmDist()],
    ['/vendor/', tfjsDist()],
    ['/model/', modelDir],
    ['/', WEB_DIR],
  ];
  for (const [prefix, root] of routes) {
    if (!clean.startsWith(prefix)) continue;
    if (!root) return undefined;
    const rel = clean.slice(prefix.length) || 'index.html';
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return undefined;
    if (root === WEB_DIR && path.basename(file) === 'serve.js') return undefined;
    return file;
  }
  return undefined;
}

/** Starts the server; resolves once it listens. `port: 0` picks a free port. */
function startWebServer({ modelDir, port = 0, host = '127.0.0.1' } = {}) {
  const root = modelDir ? path.resolve(modelDir) : undefined;
  const server = http.createServer((req, res) => {
    const file = resolveFile(req.url || '/', root);
    fs.readFile(file || '', (err, data) => {
      if (!file || err) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://${host}:${actual}/`,
        close: () => new Promise((done) => server.close(() => done())),
        server,
      });
    });
  });
}

module.exports = { startWebServer, resolveFile };

if (require.main === module) {
  const [modelDir, port] = process.argv.slice(2);
  if (!modelDir || !fs.existsSync(path.join(modelDir, 'model.json'))) {
    process.stderr.write('usage: node web/serve.js MODEL_DIR [PORT]   (MODEL_DIR from nst export CKPT --format tfjs --out MODEL_DIR)\n');
    process.exit(2);
  }
  startWebServer({ modelDir, port: Number(port || 8080) }).then(({ url }) => process.stdout.write(`serving the nst demo page at ${url}\n`));
}
