// nst serve over loopback, in this process: the stylize round trip (raw and multipart, per-style and AdaIN), Accept
// negotiation, the model list, health and the Prometheus series.
import sharp from 'sharp';
import { encodedPattern, makeTmpDir, postForm, postRaw, readJson, removeDir, startServer, tinyCheckpoint } from './fixtures';
import type { NstServer } from '../../src/serve';

const dir = makeTmpDir('nst-serve-');
let server: NstServer;
let url: string;

beforeAll(async () => {
  const ckpt = await tinyCheckpoint(dir);
  ({ server, url } = await startServer({ model: [ckpt, `named=${ckpt}`] }));
});
afterAll(async () => {
  await server?.close();
  removeDir(dir);
});

async function decoded(res: Response): Promise<sharp.Metadata> {
  return sharp(Buffer.from(await res.arrayBuffer())).metadata();
}

test('GET /v1/models lists the given models by name and the embedded AdaIN model', async () => {
  const res = await fetch(`${url}/v1/models`);
  expect(res.status).toBe(200);
  expect(await readJson(res)).toEqual({
    models: [
      { name: 'tiny', kind: 'style', needsStyle: false },
      { name: 'named', kind: 'style', needsStyle: false },
      { name: 'adain', kind: 'arbitrary', needsStyle: true },
    ],
  });
});

test('GET /healthz answers ok with the model count', async () => {
  const res = await fetch(`${url}/healthz`);
  expect(res.status).toBe(200);
  expect(await readJson(res)).toMatchObject({ status: 'ok', models: 3 });
});

test('a raw PNG body comes back stylized as a PNG of its size (the default format)', async () => {
  const input = await encodedPattern(37, 21);
  const res = await postRaw(url, input);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  expect(res.headers.get('x-nst-model')).toBe('tiny');
  const body = Buffer.from(await res.arrayBuffer());
  const meta = await sharp(body).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 37, 21]);
  // The network did something: the output is not the input's pixels.
  const [a, b] = await Promise.all([sharp(input).raw().toBuffer(), sharp(body).removeAlpha().raw().toBuffer()]);
  expect(a.equals(b)).toBe(false);
});

test.each([
  ['image/jpeg', 'image/jpeg', 'jpeg'],
  ['image/webp', 'image/webp', 'webp'],
  ['image/png', 'image/png', 'png'],
  ['image/webp;q=0.5, image/jpeg;q=0.9', 'image/jpeg', 'jpeg'],
  ['text/html, image/*;q=0.8', 'image/png', 'png'],
  ['*/*', 'image/png', 'png'],
])('Accept: %s → %s', async (accept, type, format) => {
  const res = await postRaw(url, await encodedPattern(24, 16, 'jpeg'), { 'Content-Type': 'image/jpeg', Accept: accept }, '?model=named');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(type);
  const meta = await decoded(res);
  expect([meta.format, meta.width, meta.height]).toEqual([format, 24, 16]);
});

test('an Accept with no image type the server writes is 406 JSON', async () => {
  const res = await postRaw(url, await encodedPattern(8, 8), { Accept: 'application/json' });
  expect(res.status).toBe(406);
  expect((await readJson(res)).error).toMatch(/image\/png, image\/jpeg or image\/webp/);
});

test('multipart with model, strength, preserveColor and maxSize: downscaled to maxSize', async () => {
  const res = await postForm(url, { image: await encodedPattern(80, 40), fields: { model: 'named', strength: '0.5', preserveColor: 'true', maxSize: '40' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-nst-model')).toBe('named');
  const meta = await decoded(res);
  expect([meta.width, meta.height]).toEqual([40, 20]);
});

test('strength 0 returns the input unchanged (the fields reach the library)', async () => {
  const input = await encodedPattern(16, 12);
  const res = await postRaw(url, input, {}, '?strength=0');
  expect(res.status).toBe(200);
  const [a, b] = await Promise.all([sharp(input).raw().toBuffer(), sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer()]);
  expect(a.equals(b)).toBe(true);
});

test('multipart with a style image uses the embedded AdaIN model, at the content size', async () => {
  const res = await postForm(url, { image: await encodedPattern(48, 40, 'png', 2), style: await encodedPattern(64, 64, 'png', 5), fields: { alpha: '0.8' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-nst-model')).toBe('adain');
  const meta = await decoded(res);
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 48, 40]);
});

test('request mistakes are 400 JSON naming the field or model', async () => {
  const img = await encodedPattern(8, 8);
  const cases: Array<[Promise<Response>, RegExp]> = [
    [postRaw(url, img, {}, '?model=nope'), /model 'nope' is not served here .*tiny, named, adain/],
    [postRaw(url, img, {}, '?strength=2'), /^strength: must be between 0 and 1/],
    [postRaw(url, img, {}, '?maxSize=-3'), /^maxSize: must be/],
    [postRaw(url, img, {}, '?preserveColor=maybe'), /^preserveColor: must be true or false/],
    [postRaw(url, img, {}, '?strenght=1'), /^strenght: unknown field/],
    [postForm(url, { image: img, fields: { model: 'adain' } }), /needs a style image/],
    [postForm(url, { image: img, style: img, fields: { model: 'tiny' } }), /only for the arbitrary-style/],
  ];
  for (const [pending, message] of cases) {
    const res = await pending;
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toMatch(message);
  }
});

test('GET /metrics is Prometheus text with the nst_ series: requests by status, latency histogram, queue depth', async () => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(text).toMatch(/^nst_http_requests_total\{route="\/v1\/stylize",method="POST",status="200"\} [1-9]\d*$/m);
  expect(text).toMatch(/^nst_http_requests_total\{route="\/v1\/stylize",method="POST",status="400"\} [1-9]\d*$/m);
  expect(text).toMatch(/^nst_http_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/stylize"\} [1-9]\d*$/m);
  expect(text).toMatch(/^nst_stylize_duration_seconds_count\{model="adain"\} 1$/m);
  expect(text).toMatch(/^nst_queue_depth 0$/m);
  expect(text).toMatch(/^nst_in_flight 0$/m);
  expect(text).toMatch(/^nst_models_loaded 3$/m);
  // Every series is ours.
  const names = text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]);
  expect(names.filter((n) => !n.startsWith('nst_'))).toEqual([]);
});

test('unknown routes are 404 JSON', async () => {
  const res = await fetch(`${url}/v2/paint`);
  expect(res.status).toBe(404);
  expect((await readJson(res)).error).toMatch(/no route GET \/v2\/paint/);
});
