/**
 * The reply format from an Accept header (RFC 9110 §12.5.1: media ranges with q-values; the most specific range
 * decides a type's q; ties go to the order png, jpeg, webp, so png is the default).
 */
import type { ImageFormat } from '../image/image-io';

const OFFERED: Array<{ type: string; format: ImageFormat }> = [
  { type: 'image/png', format: 'png' },
  { type: 'image/jpeg', format: 'jpg' },
  { type: 'image/webp', format: 'webp' },
];

export const CONTENT_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

interface Range {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): Range[] {
  return header
    .split(',')
    .map((part) => {
      const [range, ...params] = part.trim().toLowerCase().split(';');
      const [type, subtype] = range.trim().split('/');
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { type, subtype: subtype ?? '', q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type && r.subtype);
}

/** q of `type` under `ranges`: the most specific matching range's (exact > type/* > *\/*), 0 if none matches. */
function qualityOf(type: string, ranges: Range[]): number {
  const [t, s] = type.split('/');
  const specificity = (r: Range) => (r.type === t && r.subtype === s ? 3 : r.type === t && r.subtype === '*' ? 2 : r.type === '*' && r.subtype === '*' ? 1 : 0);
  let best: Range | undefined;
  for (const r of ranges) if (specificity(r) > 0 && (!best || specificity(r) > specificity(best))) best = r;
  return best?.q ?? 0;
}

/** The format to reply in, or undefined when the client accepts none of png, jpeg, webp (→ 406). */
export function negotiateFormat(accept: string | undefined): ImageFormat | undefined {
  if (!accept || !accept.trim()) return 'png';
  const ranges = parseAccept(accept);
  let best: { format: ImageFormat; q: number } | undefined;
  for (const o of OFFERED) {
    const q = qualityOf(o.type, ranges);
    if (q > 0 && (!best || q > best.q)) best = { format: o.format, q };
  }
  return best?.format;
}
