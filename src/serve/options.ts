/**
 * The options of `nst serve` and of one POST /v1/stylize request, each declared once: the CLI derives its flags from
 * ServeOptionsSchema (src/cli/options-from-schema.ts), createServer() parses the same schema, and every request's
 * fields (query string or multipart fields, all text) are checked by StylizeRequestSchema.
 */
import { z } from 'zod';
import { DEFAULT_QUALITY } from '../image/image-io';
import { ArbitraryOptionsSchema, DEFAULT_STYLE_SIZE } from '../infer/arbitrary';
import { StylizeOptionsSchema } from '../infer/stylize';

const MIB = 1024 ** 2;
const whole = (what: string, min: number) =>
  z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).min(min, { error: `must be ${what}` });

export const ServeOptionsSchema = z
  .object({
    model: z
      .array(z.string())
      .optional()
      .describe(
        'models to serve, loaded once at start: checkpoint folders (per-style or AdaIN) or .onnx files, named by their ' +
          'folder/file name or as NAME=PATH; the embedded AdaIN model is always there too, as "adain"',
      ),
    host: z.string().default('127.0.0.1').describe('address to listen on (0.0.0.0: every interface)'),
    port: whole('a port number 0–65535 (0: any free port)', 0).max(65535, { error: 'must be a port number 0–65535' }).default(8080).describe('TCP port (0: any free port)'),
    concurrency: whole('a whole number ≥ 1', 1).default(1).describe('requests stylized at once (each uses every core: more mostly adds latency)'),
    queueLimit: whole('a whole number ≥ 0', 0).default(8).describe('requests waiting for a slot; beyond that: 503 with Retry-After'),
    maxBodyMib: z.number({ error: 'must be a positive number (MiB)' }).positive({ error: 'must be a positive number (MiB)' }).default(32).describe('largest request body (MiB); larger: 413'),
    maxPixels: whole('a whole number of pixels ≥ 1', 1).default(4096 * 4096).describe('largest image (width×height, read from its header before decoding); larger: 413'),
    timeout: z.number({ error: 'must be a positive number of seconds' }).positive({ error: 'must be a positive number of seconds' }).default(60).describe('seconds a request may take from upload to reply; longer: 408'),
    memoryBudget: z.number({ error: 'must be at least 16 (MiB)' }).min(16, { error: 'must be at least 16 (MiB)' }).default(1024).describe('MiB of activations one forward pass may use; larger images are tiled to fit'),
    styleSize: ArbitraryOptionsSchema.shape.styleSize.default(DEFAULT_STYLE_SIZE).describe('AdaIN: longest side style uploads are resized to before they are measured'),
    quality: whole('a whole number 1–100', 1).max(100, { error: 'must be a whole number 1–100' }).default(DEFAULT_QUALITY).describe('jpg/webp quality of replies'),
  })
  .strict();

export type ServeOptionsInput = z.input<typeof ServeOptionsSchema>;
export type ServeOptions = z.output<typeof ServeOptionsSchema>;

export const bytesOfMib = (mib: number) => Math.floor(mib * MIB);

/** Text from a query string or form field → number / boolean, so the request schema can check its range. */
const numberField = (inner: z.ZodNumber) => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), inner);
const booleanField = z.preprocess(
  (v) => (typeof v === 'string' ? ({ true: true, '1': true, yes: true, on: true, false: false, '0': false, no: false, off: false } as Record<string, boolean>)[v.toLowerCase()] ?? v : v),
  z.boolean({ error: 'must be true or false' }),
);

/** One request's stylize fields, as text (ranges and messages are the library's); unknown fields are refused (a typo should not silently do nothing). */
export const StylizeRequestSchema = z
  .object({
    model: z.string().optional(),
    strength: numberField(StylizeOptionsSchema.shape.strength.unwrap()).optional(),
    preserveColor: booleanField.optional(),
    maxSize: numberField(StylizeOptionsSchema.shape.maxSize.unwrap()).optional(),
    alpha: numberField(ArbitraryOptionsSchema.shape.alpha.unwrap()).optional(),
  })
  .strict();
export type StylizeRequest = z.output<typeof StylizeRequestSchema>;
