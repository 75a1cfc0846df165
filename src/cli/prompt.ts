/** docker's command.PromptForConfirmation, and what a refusal does. */
import { StatusError, type CliContext } from './command.js';

/** Prints "<message> [y/N] " and reads one line: yes only for y or Y (spaces aside). */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  return /^\s*[yY]\s*$/.test(await prompt(ctx, `${message} [y/N] `, false));
}

/** Reads a line from stdin; with `hidden`, without echo on a terminal. */
export async function prompt(ctx: CliContext, question: string, hidden: boolean): Promise<string> {
  const stdin = ctx.streams.in;
  ctx.streams.out.write(question);
  const raw = hidden && stdin.isTTY && stdin.setRawMode;
  if (raw) stdin.setRawMode!(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (c: Buffer | string): void => {
        for (const ch of c.toString()) {
          if (ch === '\u0003') {
            cleanup();
            reject(new StatusError(130, ''));
            return;
          }
          if (ch === '\r' || ch === '\n') {
            cleanup();
            resolve(buf);
            return;
          }
          if (ch === '\u007f') buf = buf.slice(0, -1);
          else buf += ch;
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
  } finally {
    if (raw) {
      stdin.setRawMode!(false);
      ctx.streams.out.write('\n');
    }
  }
}

/**
 * Asks before a prune. A "no" is docker's errdefs.Cancelled: the CLI exits 0 and
 * prints nothing more.
 */
export async function confirmOrCancel(ctx: CliContext, message: string): Promise<void> {
  if (!(await confirm(ctx, message))) throw new StatusError(0);
}
