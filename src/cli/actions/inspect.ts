/** `inspect` output: a JSON array indented by 4 spaces, or one template line per object. */
import { StatusError, type CliContext } from '../command.js';
import { renderOne, TemplateError } from '../format/formatter.js';
import { errorText, out } from './common.js';

/**
 * Inspects each reference and prints them together (docker's inspect.Inspect): the
 * objects found are printed even when others fail; the failures make exit status 1.
 */
export async function printInspected(ctx: CliContext, refs: string[], format: string, get: (ref: string) => Promise<unknown>): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  let text = '';
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = await get(ref);
    } catch (e) {
      errors.push(errorText(e));
      continue;
    }
    if (format && format !== 'json') {
      try {
        text += renderOne(format, obj, { missingKey: 'error' }) + '\n';
      } catch (e) {
        if (e instanceof TemplateError) errors.push(e.message);
        else throw e;
      }
    } else found.push(obj);
  }
  if (!format || format === 'json') text = found.length === 0 ? '[]\n' : `${JSON.stringify(found, null, 4)}\n`;
  out(ctx, text);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

/** `berth inspect`: a container, else an image (or only the --type given). */
export async function inspectAction(ctx: CliContext, o: { names: string[]; format: string; size: boolean; type: string }): Promise<void> {
  const types = ['container', 'image'];
  const known = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];
  if (o.type && !known.includes(o.type)) throw new StatusError(1, `"${o.type}" is not a valid value for --type`);
  const client = ctx.client();
  await printInspected(ctx, o.names, o.format, async (ref) => {
    for (const t of types) {
      if (o.type && t !== o.type) continue;
      try {
        if (t === 'container') return await client.containerInspect(ref, { size: o.size });
        const img = await client.imageInspect(ref);
        if (o.size) ctx.streams.err.write('WARNING: --size ignored for image\n');
        return img;
      } catch (e) {
        const status = (e as { status?: number }).status;
        // Not found (or not supported yet) means "try the next kind of object".
        if (!o.type && (status === 404 || status === 501)) continue;
        throw e;
      }
    }
    if (o.type && !types.includes(o.type)) throw new Error(`Error: No such ${o.type}: ${ref}`);
    throw new Error(`Error: No such object: ${ref}`);
  });
}
