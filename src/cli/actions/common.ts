/** Helpers the actions share: output, and docker's "each of several objects" pattern. */
import type { CliContext } from '../command.js';
import { StatusError } from '../command.js';

export function out(ctx: CliContext, s: string): void {
  ctx.streams.out.write(s);
}

export function err(ctx: CliContext, s: string): void {
  ctx.streams.err.write(s);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs an operation on each name concurrently (docker's parallelOperation), then, in the
 * order given, prints each name that succeeded; the failures are joined into one
 * error (exit 1), each on its own line, as errors.Join prints them.
 */
export async function eachName(ctx: CliContext, names: string[], op: (name: string) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(names.map((n) => op(n)));
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') out(ctx, `${names[i]}\n`);
    else errors.push(errorText(r.reason));
  });
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}
