/**
 * `nst serve` as a library: an HTTP server over models loaded once and kept warm.
 *
 *   const server = await createServer({ model: ['checkpoints/udnie'], port: 0 });
 *   const url = await server.listen();     // http://127.0.0.1:PORT
 *   …
 *   await server.close();                  // finishes the requests in flight, then frees the models
 *
 * Routes: POST /v1/stylize, GET /v1/models, GET /healthz, GET /metrics (docs/serve.md). Every refusal is JSON
 * `{error, limit?}`; a bad upload costs one 4xx and never the server.
 *
 * Inference runs on this process's main thread (tfjs' kernels are synchronous; the native backend uses every core
 * inside one pass), so `concurrency` above 1 only overlaps one request's decode/encode with another's network.
 * While a forward pass runs, no other request is answered — /healthz included; the processing-time limit is checked
 * between passes (tiles), and the pixel limit bounds how long one pass can take.
 */
import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { InputError, NstError, UsageError } from '../errors';
import { probeImage } from '../image/probe';
import { stylizeBuffer } from '../infer/buffer';
import { Admission } from './admission';
import { ClientGoneError, HttpError } from './http-error';
import { createMetrics, type ServeMetrics } from './metrics';
import { loadServedModels, type ServedModel } from './models';
import { CONTENT_TYPES, negotiateFormat } from './negotiate';
import { bytesOfMib, ServeOptionsSchema, StylizeRequestSchema, type ServeOptions, type ServeOptionsInput, type StylizeRequest } from './options';
import { readUpload } from './upload';

export interface NstServer {
  readonly app: FastifyInstance;
  readonly options: ServeOptions;
  readonly models: readonly ServedModel[];
  readonly metrics: ServeMetrics;
  /** Requests holding a slot and waiting for one (what /healthz reports). */
  status(): { inFlight: number; queued: number };
  /** Starts listening; resolves to the base URL (with the real port when options.port is 0). */
  listen(): Promise<string>;
  /** Stops accepting, waits for the requests in flight, frees the models. Safe to call twice. */
  close(): Promise<void>;
}

export interface CreateServerHooks {
  log?: (line: string) => void;
}

/** Zod's first complaint about a request field, as one line naming it. */
function requestFields(fields: Record<string, string>): StylizeRequest {
  const r = StylizeRequestSchema.safeParse(fields);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  const message = issue.code === 'unrecognized_keys' ? `unknown field (the fields are ${Object.keys(StylizeRequestSchema.shape).join(', ')}, and the file 'style')` : issue.message;
  throw new HttpError(400, `${field}: ${message}`);
}

function pickModel(models: readonly ServedModel[], name: string | undefined, hasStyle: boolean): ServedModel {
  if (name !== undefined) {
    const m = models.find((x) => x.name === name);
    if (!m) throw new HttpError(400, `model '${name}' is not served here (GET /v1/models lists them: ${models.map((x) => x.name).join(', ')})`);
    if (m.kind === 'arbitrary' && !hasStyle) throw new HttpError(400, `model '${name}' is the arbitrary-style (AdaIN) model: it needs a style image (multipart file part 'style')`);
    if (m.kind === 'style' && hasStyle) throw new HttpError(400, `model '${name}' has its style built in: a style image is only for the arbitrary-style (AdaIN) model`);
    return m;
  }
  const m = models.find((x) => x.kind === (hasStyle ? 'arbitrary' : 'style'));
  if (!m) throw new HttpError(400, hasStyle ? 'no arbitrary-style model is served here' : "name a model (field 'model'), or send a style image for the arbitrary-style model");
  return m;
}

async function checkPixels(data: Buffer, name: string, maxPixels: number): Promise<void> {
  let header;
  try {
    header = await probeImage(data, name);
  } catch (e) {
    throw new HttpError(415, (e as Error).message);
  }
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new HttpError(413, `${name}: ${header.width}×${header.height} = ${pixels} pixels is more than this server takes (${maxPixels})`, 'maxPixels');
  }
}

/** A fastify or multipart error → our JSON shape; the byte limits by name. */
function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof UsageError || e instanceof InputError) return new HttpError(400, e.message);
  const fe = e as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new HttpError(413, 'the request body is larger than this server takes', 'maxBodyMib');
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new HttpError(413, `too many parts in the form (${fe.message})`, 'multipartParts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'send the image as the body (Content-Type: image/*) or as multipart/form-data');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new HttpError(fe.statusCode, fe.message ?? 'bad request');
  return new HttpError(500, e instanceof NstError ? e.message : 'internal error (see the server log)');
}

export async function createServer(input: ServeOptionsInput = {}, hooks: CreateServerHooks = {}): Promise<NstServer> {
  const parsed = ServeOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`serve option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const options = parsed.data;
  const log = hooks.log ?? (() => undefined);
  const models = await loadServedModels(options.model ?? [], log);
  const admission = new Admission(options.concurrency, options.queueLimit);
  const metrics = createMetrics({ inFlight: () => admission.inFlight, queued: () => admission.queued, models: () => models.length });
  const maxBody = bytesOfMib(options.maxBodyMib);
  const timeoutMs = options.timeout * 1000;

  const app = Fastify({
    logger: false,
    bodyLimit: maxBody,
    // Slow uploads count against the same time limit (Node answers 408 itself when the body has not arrived).
    requestTimeout: timeoutMs,
    // Idle keep-alive connections are closed by close(); requests in flight are let finish.
    forceCloseConnections: 'idle',
  });
  await app.register(multipart, { limits: { fileSize: maxBody, files: 2, fields: 16, fieldSize: 1024, parts: 20 } });
  const rawBody = (_req: FastifyRequest, body: Buffer | string, done: (err: null, body: Buffer | string) => void) => done(null, body);
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: maxBody }, rawBody);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBody }, rawBody);

  app.setErrorHandler((e, req, reply) => {
    const h = toHttpError(e);
    if (h.status >= 500) log(`nst serve: ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
    void reply.code(h.status).headers(h.headers).send(h.limit ? { error: h.message, limit: h.limit } : { error: h.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]} (routes: POST /v1/stylize, GET /v1/models, GET /healthz, GET /metrics)` });
  });
  let closing: Promise<void> | undefined;
  // A keep-alive connection busy when close() began would otherwise stay open until its idle timeout (72 s in
  // fastify) and hold close() up: the replies sent while closing end their connections, and once no request is
  // left (counted from arrival to the response's 'close', which a hang-up also fires) the rest are closed.
  let openRequests = 0;
  app.addHook('onRequest', async (_req, reply) => {
    openRequests++;
    reply.raw.once('close', () => openRequests--);
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('Connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.duration.observe({ route }, reply.elapsedTime / 1000);
  });

  app.get('/healthz', async () => ({ status: 'ok', models: models.length, inFlight: admission.inFlight, queued: admission.queued }));
  app.get('/v1/models', async () => ({
    models: models.map((m) => ({ name: m.name, kind: m.kind, needsStyle: m.kind === 'arbitrary' })),
  }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.post('/v1/stylize', (req, reply) => stylizeRoute(req, reply));

  async function stylizeRoute(req: FastifyRequest, reply: FastifyReply) {
    const deadline = Date.now() - reply.elapsedTime + timeoutMs;
    let gone = false;
    reply.raw.on('close', () => (gone = !reply.raw.writableFinished));
    const format = negotiateFormat(req.headers.accept);
    if (!format) throw new HttpError(406, 'this server replies with image/png, image/jpeg or image/webp: put one in Accept');
    const upload = await readUpload(req);
    const fields = requestFields(upload.fields);
    const served = pickModel(models, fields.model, upload.style !== undefined);
    // Header sizes first: a gigapixel claim is refused before anything is decoded, and before it takes a slot.
    await checkPixels(upload.image, 'image', options.maxPixels);
    if (upload.style) await checkPixels(upload.style, 'style', options.maxPixels);
    const release = await admission.acquire();
    if (!release) {
      const retry = String(admission.retryAfterSeconds());
      throw new HttpError(503, `busy: ${admission.inFlight} request(s) in flight and ${admission.queued} waiting; retry after ${retry} s`, 'queueLimit', { 'Retry-After': retry });
    }
    const held = metrics.stylizeSeconds.startTimer({ model: served.name });
    try {
      const checkpoint = () => {
        if (gone) throw new ClientGoneError();
        if (Date.now() > deadline) throw new HttpError(408, `processing took longer than this server allows (${options.timeout} s)`, 'timeout');
      };
      checkpoint();
      const out = await stylizeBuffer(served.opened, upload.image, {
        strength: fields.strength,
        preserveColor: fields.preserveColor,
        maxSize: fields.maxSize,
        alpha: fields.alpha,
        style: upload.style,
        styleSize: options.styleSize,
        format,
        quality: options.quality,
        memoryBudgetBytes: bytesOfMib(options.memoryBudget),
        checkpoint,
      });
      return reply
        .type(CONTENT_TYPES[format])
        .headers({
          'X-Nst-Model': served.name,
          'X-Nst-Size': `${out.width}x${out.height}`,
          // The network's share of the reply time (decode, encode and waiting for a slot excluded).
          'Server-Timing': `network;dur=${out.ms}`,
          Vary: 'Accept',
        })
        .send(out.data);
    } catch (e) {
      // Nobody to answer: end quietly (the socket is already closed).
      if (e instanceof ClientGoneError) return reply.code(499).send();
      throw e;
    } finally {
      held();
      release();
    }
  }

  return {
    app,
    options,
    models,
    metrics,
    status: () => ({ inFlight: admission.inFlight, queued: admission.queued }),
    async listen() {
      await app.listen({ host: options.host, port: options.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      return `http://${host}:${port}`;
    },
    close() {
      if (!closing) {
        const sweep = setInterval(() => {
          if (openRequests === 0) app.server.closeAllConnections();
        }, 50);
        closing = app
          .close()
          .finally(() => clearInterval(sweep))
          .then(() => {
            for (const m of models) m.opened.dispose();
          });
      }
      return closing;
    },
  };
}
