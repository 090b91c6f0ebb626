import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { nstInProcess as nst } from '../cli-in-process';
import { formatListing } from '../../src/cli/commands/weights';
import { listWeights } from '../../src/nets/loss-network';

describe('nst weights', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-wcli-'));
  const savedHome = process.env.NST_HOME;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    process.env.NST_HOME = home;
    server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (savedHome === undefined) delete process.env.NST_HOME;
    else process.env.NST_HOME = savedHome;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('list shows the lookup order, what is found, and the fetchable catalog', async () => {
    fs.mkdirSync(path.join(home, 'weights'), { recursive: true });
    fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'vgg', 'vgg16-notop-block1.h5'), path.join(home, 'weights', 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'));
    const l = listWeights('/nowhere/x.h5');
    expect(l.searched.slice(0, 2)).toEqual([
      { source: '--loss-weights', path: '/nowhere/x.h5', exists: false, files: [] },
      { source: 'cache (NST_HOME)', path: path.join(home, 'weights'), exists: true, files: [path.join(home, 'weights', 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5')] },
    ]);
    expect(l.catalog.find((k) => k.source === 'keras' && k.arch === 'vgg16')?.cached).toBe(true);
    const text = formatListing(l);
    expect(text).toMatch(/1\. --loss-weights\s+\/nowhere\/x\.h5 {2}\(absent\)/);
    expect(text).toMatch(/found .*vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5/);
    expect(text).toMatch(/MobileNetV2 fallback .*lower quality/);

    const r = await nst(['weights', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).searched[0].source).toBe('cache (NST_HOME)');
  });

  it('fetch with an unreachable file exits 1 with one clear line', async () => {
    const r = await nst(['weights', 'fetch', 'vgg19', '--url', `${base}/mirror`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^nst: error: download of http:\/\/127\.0\.0\.1:\d+\/mirror\/vgg19_weights_tf_dim_ordering_tf_kernels_notop\.h5 failed: HTTP 404/m);
  });
});
