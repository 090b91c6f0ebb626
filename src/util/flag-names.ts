/**
 * Config fields are camelCase; the CLI flags that set them are the same words in kebab-case. Validation errors name
 * the flag, so the user reads back what they typed. Shared by the CLI (deriving flags) and the libraries' config
 * parsers (naming them in errors), which must not import the CLI.
 */
import type { z } from 'zod';
import { UsageError } from '../errors';

export function kebabCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** camelCase field → the flag that sets it, e.g. styleLayers → --style-layers. */
export function flagOf(field: string): string {
  return `--${kebabCase(field)}`;
}

/** Every issue of a failed parse on one line, each led by the flag (or, with `nameOf`, the name) of its field. */
export function describeIssues(error: z.ZodError, nameOf: (field: string) => string = flagOf): string {
  return error.issues
    .map((i) => {
      const [field, ...rest] = i.path.map(String);
      const where = field === undefined ? '(options)' : nameOf(field) + rest.map((p) => `.${p}`).join('');
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/** Parses `input` or throws a UsageError `where: --flag: message; ...`. */
export function parseOrUsageError<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
  nameOf: (field: string) => string = flagOf,
): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new UsageError(`${where}: ${describeIssues(r.error, nameOf)}`);
  return r.data;
}
