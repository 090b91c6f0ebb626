/** nst serve: stylize over HTTP (fastify), models kept warm, bounded concurrency, Prometheus metrics. */
export { createServer } from './server';
export type { NstServer, CreateServerHooks } from './server';
export { ServeOptionsSchema, StylizeRequestSchema } from './options';
export type { ServeOptions, ServeOptionsInput, StylizeRequest } from './options';
export { negotiateFormat } from './negotiate';
export { parseModelSpec, EMBEDDED_ADAIN_NAME } from './models';
export type { ServedModel } from './models';
