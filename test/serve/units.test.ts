// The pure parts of nst serve: Accept negotiation, the admission line, model names.
import { Admission } from '../../src/serve/admission';
import { parseModelSpec } from '../../src/serve/models';
import { negotiateFormat } from '../../src/serve/negotiate';

describe('negotiateFormat', () => {
  test.each([
    [undefined, 'png'],
    ['', 'png'],
    ['*/*', 'png'],
    ['image/*', 'png'],
    ['image/jpeg', 'jpg'],
    ['image/webp', 'webp'],
    ['IMAGE/WEBP', 'webp'],
    ['image/png;q=0.1, image/webp;q=0.2', 'webp'],
    ['image/*;q=0.5, image/jpeg;q=0', 'png'],
    ['image/avif, image/webp;q=0.9, */*;q=0.1', 'webp'],
    ['text/html, application/xhtml+xml, */*;q=0.8', 'png'],
    ['application/json', undefined],
    ['image/png;q=0, image/jpeg;q=0, image/webp;q=0', undefined],
    ['image/gif', undefined],
  ])('%s → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

describe('Admission', () => {
  test('N hold at once, queueLimit wait in order, the rest are refused; a release hands the slot on', async () => {
    const a = new Admission(2, 1);
    const r1 = await a.acquire();
    const r2 = await a.acquire();
    expect([a.inFlight, a.queued]).toEqual([2, 0]);
    let third: (() => void) | undefined;
    const waiting = a.acquire().then((r) => (third = r));
    expect(a.queued).toBe(1);
    expect(await a.acquire()).toBeUndefined();
    expect(a.retryAfterSeconds()).toBeGreaterThanOrEqual(1);
    r1!();
    r1!(); // a second release does nothing
    await waiting;
    expect(third).toBeInstanceOf(Function);
    expect([a.inFlight, a.queued]).toEqual([2, 0]);
    r2!();
    third!();
    expect([a.inFlight, a.queued]).toEqual([0, 0]);
  });

  test('queueLimit 0: busy means refused at once', async () => {
    const a = new Admission(1, 0);
    const r = await a.acquire();
    expect(await a.acquire()).toBeUndefined();
    r!();
    expect(await a.acquire()).toBeInstanceOf(Function);
  });
});

describe('parseModelSpec', () => {
  test.each([
    ['checkpoints/udnie', 'udnie', 'checkpoints/udnie'],
    ['checkpoints/udnie/', 'udnie', 'checkpoints/udnie/'],
    ['models/mosaic.onnx', 'mosaic', 'models/mosaic.onnx'],
    ['wave=runs/w/checkpoint', 'wave', 'runs/w/checkpoint'],
  ])('%s → %s', (spec, name, file) => {
    expect(parseModelSpec(spec)).toEqual({ name, path: file });
  });

  test('a name that is not URL-safe is a usage error with the fix', () => {
    expect(() => parseModelSpec('runs/my style')).toThrow(/use NAME=PATH/);
  });
});
