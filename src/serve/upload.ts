/**
 * What a POST /v1/stylize carries, from either shape of request:
 *   raw:       Content-Type image/* (or application/octet-stream), the image as the body, fields in the query string;
 *   multipart: a file part `image`, optionally a file part `style`, and text fields.
 * Fastify and @fastify/multipart do the parsing and enforce the byte limits; this only sorts the parts.
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error';

export interface Upload {
  fields: Record<string, string>;
  image: Buffer;
  style?: Buffer;
}

const FILE_PARTS = ['image', 'style'] as const;

export async function readUpload(req: FastifyRequest): Promise<Upload> {
  if (req.isMultipart()) {
    const fields: Record<string, string> = {};
    const files: Partial<Record<(typeof FILE_PARTS)[number], Buffer>> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (!(FILE_PARTS as readonly string[]).includes(part.fieldname)) {
          throw new HttpError(400, `unknown file part '${part.fieldname}': send the photo as 'image' and a style image as 'style'`);
        }
        files[part.fieldname as (typeof FILE_PARTS)[number]] = await part.toBuffer();
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
    if (!files.image) throw new HttpError(400, "no 'image' file part: send the photo as the multipart file field 'image'");
    return { fields, image: files.image, style: files.style };
  }
  const body = req.body;
  if (!Buffer.isBuffer(body)) throw new HttpError(415, 'send the image as the body (Content-Type: image/*) or as multipart/form-data');
  const fields = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  if ('style' in fields) throw new HttpError(400, "a style image needs multipart/form-data (file part 'style'); a raw body carries one image");
  return { fields, image: body };
}
