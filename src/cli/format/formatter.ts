/**
 * docker's formatter.Context: a list rendered through a Go template, either as a table
 * (`table` prefix: a header row from the column titles, then rows aligned by a
 * tabwriter with docker's settings) or as raw template output, one line per item.
 */
import { headerFuncs, isTableFormat, parseTemplate, prepareFormat, type ParsedTemplate, type TemplateOptions } from '../../lib/go-template.js';
import { TabWriter } from '../../lib/tabwriter.js';

/** A row as templates see it: fields plus optional methods (`.Label "k"`). */
export type TemplateRow = Record<string, unknown>;

/** A bad template or a failed execution; the message is docker's ("template parsing error: ..."). */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

function parse(format: string, options?: TemplateOptions): ParsedTemplate {
  try {
    return parseTemplate(prepareFormat(format), {}, options);
  } catch (err) {
    throw new TemplateError((err as Error).message);
  }
}

function run(tmpl: ParsedTemplate, data: unknown, funcs?: Record<string, (...a: any[]) => unknown>): string {
  try {
    return tmpl.execute(data, funcs);
  } catch (err) {
    throw new TemplateError((err as Error).message);
  }
}

/**
 * Renders rows with a format: each row through the template plus a newline; for a
 * table, the header (the template run against the column titles) first, all through
 * docker's tabwriter (minwidth 10, tabwidth 1, padding 3).
 */
export function renderRows(format: string, rows: TemplateRow[], header: TemplateRow): string {
  const tmpl = parse(format);
  let body = '';
  for (const r of rows) body += run(tmpl, r) + '\n';
  if (!isTableFormat(format)) return body;
  const tw = new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3, padChar: ' ', width: 'display' });
  tw.write(run(tmpl, header, headerFuncs) + '\n');
  tw.write(body);
  return tw.flush();
}

/**
 * Renders one object with a template (inspect -f, version/info --format). Inspect
 * runs against raw JSON, where docker makes a missing key an error.
 */
export function renderOne(format: string, data: unknown, options?: TemplateOptions): string {
  return run(parse(format, options), data);
}

const rowTypes = new Map<string, new () => object>();

/**
 * A row with Go struct semantics for templates: `{{.Unknown}}` is an error, as it is
 * for docker's formatter contexts, and `{{json .}}` keeps the field order given.
 */
export function structRow(typeName: string, fields: Record<string, unknown>): TemplateRow {
  let Ctor = rowTypes.get(typeName);
  if (!Ctor) {
    Ctor = { [typeName]: class {} }[typeName];
    rowTypes.set(typeName, Ctor);
  }
  return Object.assign(new Ctor(), fields) as TemplateRow;
}

/** An object whose every field reads as its title, for rendering a table's header row. */
export function headerRow(titles: Record<string, string>, methods: Record<string, string> = {}): TemplateRow {
  const row: TemplateRow = { ...titles };
  for (const [name, title] of Object.entries(methods)) row[name] = () => title;
  return row;
}
