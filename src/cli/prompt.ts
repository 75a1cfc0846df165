/** docker's command.PromptForConfirmation, and what a refusal does. */
import { StatusError, type CliContext } from './command.js';

/** Prints "<message> [y/N] " and reads one line: yes only for y or Y (spaces aside). */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.streams.out.write(`${message} [y/N] `);
  const stdin = ctx.streams.in;
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (c: Buffer | string): void => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        cleanup();
        resolve(buf.slice(0, nl));
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(buf);
    };
    const cleanup = (): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
  return /^\s*[yY]\s*$/.test(line);
}

/**
 * Asks before a prune. A "no" is docker's errdefs.Cancelled: the CLI exits 0 and
 * prints nothing more.
 */
export async function confirmOrCancel(ctx: CliContext, message: string): Promise<void> {
  if (!(await confirm(ctx, message))) throw new StatusError(0);
}
