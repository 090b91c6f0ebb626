#!/usr/bin/env node
/**
 * A tiny static server for the demo page, on 127.0.0.1 only:
 *
 *   node web/serve.js DIR [PORT]     then open http://127.0.0.1:PORT/
 *
 * DIR is either one folder written by `nst export CKPT --format tfjs --out DIR`, or a folder of such folders (one per
 * style: the page lists them in its model menu).
 *
 *   /                     web/index.html, web/app.js, web/style.css
 *   /vendor/tf.min.js     TensorFlow.js from node_modules (the page needs nothing from the internet)
 *   /vendor/wasm/…        tfjs' WASM backend (script + .wasm files), when @tensorflow/tfjs-backend-wasm is installed
 *   /models.json          the models on offer: [{ name, url }] (url of each model.json, relative to the page)
 *   /model/…              DIR, when it is one export
 *   /models/NAME/…        DIR/NAME, when DIR holds several exports
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

/** True when dir is one exported model folder (it has a model.json). */
function isModelFolder(dir) {
  return fs.existsSync(path.join(dir, 'model.json'));
}

/** The models under dir: itself when it is an export, else its sub-folders that are, by name. */
function listModels(dir) {
  if (!dir) return [];
  if (isModelFolder(dir)) return [{ name: path.basename(dir), url: 'model/model.json' }];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && isModelFolder(path.join(dir, e.name)))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, url: `models/${encodeURIComponent(name)}/model.json` }));
}

/**
 * Maps a URL path to a file inside one of the served roots, or undefined (never outside a root). modelDir is served at
 * /model/ and modelsDir (a folder of exports) at /models/.
 */
function resolveFile(urlPath, modelDir, modelsDir) {
  let clean;
  try {
    clean = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return undefined; // malformed %-escapes
  }
  if (clean.includes('\0')) return undefined;
  const routes = [
    ['/vendor/wasm/', tfjsWasmDist()],
    ['/vendor/', tfjsDist()],
    ['/models/', modelsDir],
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

/** Starts the server on modelDir (one export, or a folder of exports); resolves once it listens. `port: 0` picks a free port. */
function startWebServer({ modelDir, port = 0, host = '127.0.0.1' } = {}) {
  const root = modelDir ? path.resolve(modelDir) : undefined;
  const single = root && isModelFolder(root) ? root : undefined;
  const collection = root && !single ? root : undefined;
  const server = http.createServer((req, res) => {
    if ((req.url || '').split('?')[0] === '/models.json') {
      // Listed per request: an export added to the folder shows up on the next page load.
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      res.end(JSON.stringify(listModels(root)));
      return;
    }
    const file = resolveFile(req.url || '/', single, collection);
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

module.exports = { startWebServer, resolveFile, listModels };

if (require.main === module) {
  const [modelDir, port] = process.argv.slice(2);
  const usage = 'usage: node web/serve.js DIR [PORT]   (DIR from nst export CKPT --format tfjs --out DIR, or a folder of such folders)\n';
  if (!modelDir || !fs.existsSync(modelDir) || !fs.statSync(modelDir).isDirectory()) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const models = listModels(path.resolve(modelDir));
  if (models.length === 0) {
    process.stderr.write(`${modelDir}: no model.json in it nor in its sub-folders (export one with nst export CKPT --format tfjs --out DIR)\n`);
    process.exit(2);
  }
  startWebServer({ modelDir, port: Number(port || 8080) }).then(({ url }) =>
    process.stdout.write(`serving the nst demo page at ${url} (${models.length} model${models.length === 1 ? '' : 's'}: ${models.map((m) => m.name).join(', ')})\n`),
  );
}
