/**
 * CLI options derived from a run's zod schema, so an option is declared once, in the schema: its flag (the field in
 * kebab-case), type, array-ness, choices (z.enum), description (`.describe()` / `.meta({ description })`) and the
 * default shown in --help (the schema's `.default()`).
 *
 * Defaults are only *shown* (yargs `defaultDescription`), never applied by yargs: zod applies them when the config is
 * parsed, and `nst train --resume` must be able to tell an option the user gave from one they left out (left-out
 * options come from the checkpoint).
 *
 * Metadata the schema can carry for the CLI (zod's global registry, `.meta({...})`):
 *   defaultDescription  what an optional field means when left out, e.g. the default tap list
 *   defaultFrom         the field whose value a left-out field takes (shown as that field's flag)
 *   list: 'comma'       an array given as one comma-separated value (--style-layers relu1_2,relu2_2)
 * Fields with no flag syntax (records, objects) are not offered on the command line.
 */
import type { Argv, Options } from 'yargs';
import type { z } from 'zod';
import { flagOf, kebabCase } from '../util/flag-names';

interface CliMeta {
  description?: string;
  defaultDescription?: string;
  defaultFrom?: string;
  list?: 'comma';
}

interface FieldShape {
  type: 'string' | 'number' | 'boolean';
  array: boolean;
  commaList: boolean;
  /** A scalar-or-list field: one value given is passed as the scalar (as the field was before it took lists). */
  scalarWhenOne?: boolean;
  choices?: readonly string[];
  hasDefault: boolean;
  defaultValue?: unknown;
  meta: CliMeta;
}

type AnySchema = z.ZodType;

/** What a field looks like on the command line, read through its optional/default wrappers; undefined = no flag form. */
function fieldShape(schema: AnySchema): FieldShape | undefined {
  let s = schema;
  let meta: CliMeta = {};
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    meta = { ...((s.meta() ?? {}) as CliMeta), ...meta }; // the outermost wrapper's metadata wins
    const def = s.def as { type: string; innerType?: AnySchema; defaultValue?: unknown };
    if (def.type === 'default' && !hasDefault) {
      hasDefault = true;
      defaultValue = def.defaultValue;
    }
    // A transform (pipe) takes what its input schema takes from the command line.
    if (def.type === 'pipe') {
      s = (s.def as unknown as { in: AnySchema }).in;
      continue;
    }
    if (!['default', 'optional', 'nullable', 'readonly', 'prefault'].includes(def.type) || !def.innerType) break;
    s = def.innerType;
  }
  // A union that takes a string (e.g. a duration as `8h` or seconds) is a string flag: the schema parses it.
  if ((s.def as { type: string }).type === 'union') {
    const options = (s.def as unknown as { options: AnySchema[] }).options;
    const str = options.find((o) => (o.def as { type: string }).type === 'string');
    if (!str) return undefined;
    s = str;
  }
  const scalar = (t: AnySchema): Pick<FieldShape, 'type' | 'choices'> | undefined => {
    const def = t.def as { type: string };
    if (def.type === 'string' || def.type === 'number' || def.type === 'boolean') return { type: def.type };
    if (def.type === 'enum') {
      const choices = (t as z.ZodEnum).options;
      if (choices.every((c) => typeof c === 'string')) return { type: 'string', choices: choices as string[] };
    }
    return undefined;
  };
  // A scalar-or-list union (`--style a.jpg`, or repeated) is a list flag: every element the scalar's type.
  const union = s.def as { type: string; options?: AnySchema[] };
  const scalarOrList = union.type === 'union' && union.options?.length === 2 && (union.options[1].def as { type: string }).type === 'array';
  if (scalarOrList) s = union.options![1];
  const def = s.def as { type: string; element?: AnySchema };
  const array = def.type === 'array';
  const base = array ? scalar(def.element!) : scalar(s);
  if (!base) return undefined;
  return { ...base, array, commaList: array && meta.list === 'comma', scalarWhenOne: scalarOrList, hasDefault, defaultValue, meta };
}

/** A default as --help shows it, in yargs' own style ("auto" quoted, numbers and booleans bare). */
function formatDefault(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? v.map(formatDefault).join(' ') : String(v);
}

function defaultDescriptionOf(f: FieldShape): string | undefined {
  if (f.hasDefault) return formatDefault(f.defaultValue);
  if (f.meta.defaultDescription) return f.meta.defaultDescription;
  if (f.meta.defaultFrom) return `same as ${flagOf(f.meta.defaultFrom)}`;
  return undefined;
}

/** Per field: CLI-only additions (alias, demandOption, a sharper description), or false to leave the field off the CLI. */
export type OptionOverrides<S extends z.ZodObject> = Partial<Record<keyof S['shape'] & string, Partial<Options> | false>>;

/** The yargs options of every field of `schema` that has a flag form, keyed by flag name (kebab-case). */
export function optionsFromSchema<S extends z.ZodObject>(schema: S, overrides: OptionOverrides<S> = {}): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const [field, fieldSchema] of Object.entries(schema.shape as Record<string, AnySchema>)) {
    const extra = overrides[field as keyof OptionOverrides<S>];
    const f = fieldShape(fieldSchema);
    if (extra === false || !f) continue;
    const shown = defaultDescriptionOf(f);
    options[kebabCase(field)] = {
      type: f.type,
      ...(f.array && !f.commaList ? { array: true } : {}),
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.meta.description ? { describe: f.meta.description } : {}),
      ...(shown !== undefined ? { defaultDescription: shown } : {}),
      ...extra,
    };
  }
  return options;
}

/**
 * Adds schema-derived `options` to a command in --help groups: the options setting each section's fields under the
 * section's title, the others under `title`; both before the command's own options (yargs lists groups in order).
 */
export function withOptionGroups<T>(y: Argv<T>, options: Record<string, Options>, title: string, sections: Record<string, readonly string[]>): Argv<T> {
  const sectioned = Object.fromEntries(
    Object.entries(sections).map(([heading, fields]) => [heading, fields.map(kebabCase).filter((flag) => flag in options)]),
  );
  const inSections = new Set(Object.values(sectioned).flat());
  let out = y.options(options).group(Object.keys(options).filter((flag) => !inSections.has(flag)), title);
  for (const [heading, flags] of Object.entries(sectioned)) out = out.group(flags, heading);
  return out as Argv<T>;
}

function splitCommaList(v: unknown): string[] {
  const parts = Array.isArray(v) ? v : [v];
  return parts.flatMap((p) => String(p).split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * The schema's fields among parsed arguments (camelCase, as yargs also provides them, or kebab-case), with comma lists
 * split and undefined dropped: only what the user gave, so the schema defaults (or, on --resume, the checkpoint's
 * values) fill the rest.
 */
export function configFromArgs<S extends z.ZodObject>(schema: S, args: object): Partial<z.input<S>> {
  const given = args as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const [field, fieldSchema] of Object.entries(schema.shape as Record<string, AnySchema>)) {
    const v = given[field] ?? given[kebabCase(field)];
    if (v === undefined) continue;
    const f = fieldShape(fieldSchema);
    if (f?.scalarWhenOne) config[field] = Array.isArray(v) && v.length === 1 ? v[0] : v;
    else config[field] = f?.commaList ? splitCommaList(v) : f?.array && !Array.isArray(v) ? [v] : v;
  }
  return config as Partial<z.input<S>>;
}

/** Argument types of a command whose options come from a schema: every field optional, lists also as one string. */
export type ArgsOf<T> = { [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[] ? T[K] | string : T[K] };
