/** `exec`: docker's RunExec — create the exec, then start it detached or attached. */
import { readFileSync } from 'node:fs';
import { monitorTtySize, startSession } from '../attach-session.js';
import { StatusError, type CliContext } from '../command.js';
import { OptionError, parseKvFile } from '../run-options.js';
import { err } from './common.js';

export interface ExecOptions {
  container: string;
  command: string[];
  detach: boolean;
  detachKeys: string;
  env: string[];
  envFiles: string[];
  interactive: boolean;
  privileged: boolean;
  tty: boolean;
  user: string;
  workdir: string;
}

export async function execAction(ctx: CliContext, o: ExecOptions): Promise<number> {
  const env: string[] = [];
  try {
    for (const f of o.envFiles) env.push(...parseKvFile(f, readFileSync(f, 'utf8'), (k) => ctx.env[k]));
  } catch (e) {
    if (e instanceof OptionError) throw new StatusError(1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    throw new StatusError(1, code === 'ENOENT' ? `open ${(e as NodeJS.ErrnoException).path}: no such file or directory` : (e as Error).message);
  }
  for (const e of o.env) {
    if (e.includes('=')) env.push(e);
    else env.push(ctx.env[e] === undefined ? e : `${e}=${ctx.env[e]}`);
  }
  const attachStdin = !o.detach && o.interactive;
  const client = ctx.client();
  // Inspect first so "no such container" wins over a TTY complaint, as docker does.
  await client.containerInspect(o.container);
  if (!o.detach && o.tty && attachStdin && !ctx.streams.in.isTTY) throw new StatusError(1, 'the input device is not a TTY');
  const out = ctx.streams.out;
  const consoleSize: [number, number] | undefined = o.tty && out.isTTY ? [out.rows ?? 0, out.columns ?? 0] : undefined;
  const created = await client.execCreate(o.container, {
    User: o.user,
    Privileged: o.privileged,
    Tty: o.tty,
    ConsoleSize: consoleSize,
    AttachStdin: attachStdin,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    DetachKeys: o.detachKeys,
    Env: env,
    WorkingDir: o.workdir,
    Cmd: o.command,
  });
  if (!created?.Id) throw new StatusError(1, 'exec ID empty');
  if (o.detach) {
    await client.execStartDetached(created.Id, { tty: o.tty });
    return 0;
  }
  const conn = await client.execStartAttached(created.Id, { tty: o.tty, consoleSize });
  const session = startSession({
    conn,
    tty: o.tty,
    stdin: attachStdin ? ctx.streams.in : undefined,
    stdout: out,
    stderr: o.tty ? out : ctx.streams.err,
    detachKeys: o.detachKeys,
  });
  const stopResize = o.tty && ctx.streams.in.isTTY ? monitorTtySize(client, created.Id, out as never, { exec: true, onError: (m) => err(ctx, `${m}\n`) }) : () => undefined;
  try {
    const end = await session.done;
    if (end === 'detached') return 0;
  } finally {
    stopResize();
  }
  const r = await client.execInspect(created.Id);
  return r.ExitCode ?? 0;
}
