/**
 * nst serve [--model CKPT...] [--host 127.0.0.1] [--port 8080] [--concurrency N] [--queue-limit N] [limits…]
 *
 * Argument handling, the start-up lines and the signals only: the options are declared once, by ServeOptionsSchema
 * (src/serve/options.ts, flags derived by ../options-from-schema.ts); the server is src/serve/server.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { createServer, ServeOptionsSchema, type ServeOptions, type ServeOptionsInput } from '../../serve';
import { describeIssues, flagOf } from '../../util/flag-names';
import { SIGNAL_EXIT_CODES } from '../../util/signals';
import { ArgsOf, configFromArgs, optionsFromSchema, withOptionGroups } from '../options-from-schema';
import { BackendArgs, handler, startBackend, withBackendOption } from '../run';

export type ServeArgs = BackendArgs & ArgsOf<ServeOptionsInput>;

export function serveOptionsFromArgs(args: ServeArgs): ServeOptions {
  const given: Record<string, unknown> = configFromArgs(ServeOptionsSchema, args);
  const r = ServeOptionsSchema.safeParse(given);
  if (!r.success) throw new UsageError(describeIssues(r.error, (field) => `${flagOf(field)} ${String(given[field])}`));
  return r.data;
}

/** Serves until SIGINT/SIGTERM, then lets the requests in flight finish and returns 0; a second signal exits at once. */
export async function runServe(args: ServeArgs, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const o = serveOptionsFromArgs(args);
  await startBackend(args);
  const server = await createServer(o, { log });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    await server.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${o.port}: the port is in use on ${o.host}; pick another (--port 0: any free port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${o.host}: not an address of this machine`);
    throw e;
  }
  log(
    `nst serve: listening on ${url} — models ${server.models.map((m) => m.name).join(', ')}; ` +
      `${o.concurrency} at a time, ${o.queueLimit} waiting (Ctrl-C stops after the requests in flight)`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const onAgain = (again: NodeJS.Signals) => {
    log(`nst serve: ${again} again: exiting now`);
    process.exit(SIGNAL_EXIT_CODES[again] ?? 1);
  };
  process.once('SIGINT', onAgain);
  process.once('SIGTERM', onAgain);
  log(`nst serve: ${signal}: no new requests; finishing the ones in flight (send it again to quit at once)`);
  await server.close();
  process.off('SIGINT', onAgain);
  process.off('SIGTERM', onAgain);
  log('nst serve: stopped');
  return 0;
}

const SERVE_OPTIONS = optionsFromSchema(ServeOptionsSchema, { model: { alias: 'm' } });

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'stylize over HTTP: POST /v1/stylize, GET /v1/models, /healthz, /metrics (models kept loaded)',
  builder: (y: Argv) =>
    withBackendOption(
      withOptionGroups(y, SERVE_OPTIONS, 'Serve options:', {
        'Limits:': ['concurrency', 'queueLimit', 'maxBodyMib', 'maxPixels', 'timeout', 'memoryBudget'],
        'Arbitrary style (AdaIN):': ['styleSize'],
      })
        .example('$0 serve -m checkpoints/udnie', 'serve one style (and the embedded AdaIN model) on http://127.0.0.1:8080')
        .example('$0 serve -m udnie=runs/udnie/checkpoint mosaic.onnx --host 0.0.0.0 --port 9000', 'two models, named, on every interface')
        .example('curl --data-binary @photo.jpg -H "Content-Type: image/jpeg" "localhost:8080/v1/stylize?model=udnie" -o out.png', 'stylize a photo')
        .example('curl -F image=@photo.jpg -F style=@painting.jpg localhost:8080/v1/stylize -o out.png', 'any painting as the style')
        .epilogue(
          'Refusals are JSON {error, limit}: 413 beyond --max-body-mib or --max-pixels (read from the image header before decoding), ' +
            '408 beyond --timeout, 503 with Retry-After when --concurrency requests run and --queue-limit wait. ' +
            'SIGINT/SIGTERM: stop accepting, finish the requests in flight, exit 0. See docs/serve.md.',
        ),
    ) as unknown as Argv<ServeArgs>,
  handler: handler(async (args: ServeArgs) => runServe(args)),
};
