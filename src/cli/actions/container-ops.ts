/** Container lifecycle commands: start, stop, restart, kill, rm, pause, unpause, wait, rename, attach. */
import type { ContainerWaitResponse } from '../../client/types.js';
import { monitorTtySize, proxySignals, startSession } from '../attach-session.js';
import { StatusError, type CliContext } from '../command.js';
import { eachName, err, errorText, out } from './common.js';

export interface StartOptions {
  containers: string[];
  attach: boolean;
  interactive: boolean;
  detachKeys: string;
}

export async function startAction(ctx: CliContext, o: StartOptions): Promise<number> {
  const client = ctx.client();
  if (o.attach || o.interactive) {
    if (o.containers.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    const c = await client.containerInspect(o.containers[0]);
    const tty = Boolean(c.Config.Tty);
    const stopProxy = tty ? () => undefined : proxySignals(client, c.Id);
    try {
      const stdin = o.interactive && Boolean(c.Config.OpenStdin);
      const conn = await client.containerAttach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
      let started!: () => void;
      const session = startSession({
        conn,
        tty,
        stdin: stdin ? ctx.streams.in : undefined,
        stdout: ctx.streams.out,
        stderr: ctx.streams.err,
        detachKeys: o.detachKeys,
        inputAfter: new Promise<void>((r) => (started = r)),
      });
      const wait = client.containerWait(c.Id, c.HostConfig?.AutoRemove ? 'removed' : 'next-exit');
      const waited = wait.result.catch((e: unknown) => ({ StatusCode: 125, Error: { Message: errorText(e) } }) as ContainerWaitResponse);
      await Promise.race([wait.registered.catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
      try {
        await client.containerStart(c.Id);
      } catch (e) {
        session.close();
        throw e;
      }
      started();
      const stopResize = tty && ctx.streams.out.isTTY ? monitorTtySize(client, c.Id, ctx.streams.out as never) : () => undefined;
      try {
        const end = await session.done;
        if (end === 'detached') return 0;
        const quick = await Promise.race([waited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 300).unref())]);
        if (quick === 'timeout') {
          const now = await client.containerInspect(c.Id).catch(() => undefined);
          if (now?.State?.Running) return 0;
        }
        const r = quick === 'timeout' ? await waited : quick;
        return r.StatusCode;
      } finally {
        stopResize();
      }
    } finally {
      stopProxy();
    }
  }
  const failed: string[] = [];
  for (const name of o.containers) {
    try {
      await client.containerStart(name);
      out(ctx, `${name}\n`);
    } catch (e) {
      err(ctx, `${errorText(e)}\n`);
      failed.push(name);
    }
  }
  if (failed.length) throw new StatusError(1, `Error: failed to start containers: ${failed.join(', ')}`);
  return 0;
}

export async function stopAction(ctx: CliContext, o: { containers: string[]; signal: string; timeout?: number }): Promise<void> {
  await eachName(ctx, o.containers, (n) => ctx.client().containerStop(n, { signal: o.signal, timeout: o.timeout }));
}

export async function restartAction(ctx: CliContext, o: { containers: string[]; signal: string; timeout?: number }): Promise<void> {
  // docker restarts one after the other.
  const errors: string[] = [];
  for (const n of o.containers) {
    try {
      await ctx.client().containerRestart(n, { signal: o.signal, timeout: o.timeout });
      out(ctx, `${n}\n`);
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

export async function killAction(ctx: CliContext, o: { containers: string[]; signal: string }): Promise<void> {
  await eachName(ctx, o.containers, (n) => ctx.client().containerKill(n, o.signal));
}

export async function removeAction(ctx: CliContext, o: { containers: string[]; force: boolean; volumes: boolean; link: boolean }): Promise<void> {
  const results = await Promise.allSettled(
    o.containers.map(async (raw) => {
      const name = raw.replace(/^\/+|\/+$/g, '');
      if (name === '') throw new Error('container name cannot be empty');
      await ctx.client().containerRemove(name, { force: o.force, volumes: o.volumes, link: o.link });
    }),
  );
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') out(ctx, `${o.containers[i]}\n`);
    else if (o.force && (r.reason as { status?: number })?.status === 404) err(ctx, `${errorText(r.reason)}\n`);
    else errors.push(errorText(r.reason));
  });
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

export async function pauseAction(ctx: CliContext, o: { containers: string[] }): Promise<void> {
  await eachName(ctx, o.containers, (n) => ctx.client().containerPause(n));
}

export async function unpauseAction(ctx: CliContext, o: { containers: string[] }): Promise<void> {
  await eachName(ctx, o.containers, (n) => ctx.client().containerUnpause(n));
}

export async function waitAction(ctx: CliContext, o: { containers: string[] }): Promise<void> {
  const errors: string[] = [];
  for (const n of o.containers) {
    try {
      const r = await ctx.client().containerWait(n).result;
      out(ctx, `${r.StatusCode}\n`);
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

export async function renameAction(ctx: CliContext, o: { oldName: string; newName: string }): Promise<void> {
  const oldName = o.oldName.trim();
  const newName = o.newName.trim();
  if (oldName === '' || newName === '') throw new StatusError(1, 'Error: Neither old nor new names may be empty');
  try {
    await ctx.client().containerRename(oldName, newName);
  } catch (e) {
    err(ctx, `${errorText(e)}\n`);
    throw new StatusError(1, `Error: failed to rename container named ${oldName}`);
  }
}

export interface AttachOptions {
  container: string;
  noStdin: boolean;
  sigProxy: boolean;
  detachKeys: string;
}

/** `attach`: docker's RunAttach (refuses stopped and paused containers like it). */
export async function attachAction(ctx: CliContext, o: AttachOptions): Promise<number> {
  const client = ctx.client();
  // The wait goes first, so an exit while we attach is not missed.
  const wait = client.containerWait(o.container, 'not-running');
  const waited = wait.result.then(
    (r) => r,
    (e: unknown) => e as Error,
  );
  const c = await client.containerInspect(o.container);
  if (!c.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
  const tty = Boolean(c.Config.Tty);
  if (!o.noStdin && tty && !ctx.streams.in.isTTY) throw new StatusError(1, 'the input device is not a TTY');
  const stdin = !o.noStdin && Boolean(c.Config.OpenStdin);
  const stopProxy = o.sigProxy && !tty ? proxySignals(client, c.Id) : () => undefined;
  try {
    const conn = await client.containerAttach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
    const session = startSession({ conn, tty, stdin: stdin ? ctx.streams.in : undefined, stdout: ctx.streams.out, stderr: ctx.streams.err, detachKeys: o.detachKeys });
    const stopResize = tty && ctx.streams.out.isTTY ? monitorTtySize(client, c.Id, ctx.streams.out as never) : () => undefined;
    try {
      const end = await session.done;
      // docker attach reports a detach as an error (term.EscapeError).
      if (end === 'detached') throw new StatusError(1, 'read escape sequence');
    } finally {
      stopResize();
    }
    // The stream ended: the container stopped, or the daemon let us go on the detach
    // keys (no TTY) while it keeps running.
    const quick = await Promise.race([waited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 300).unref())]);
    if (quick === 'timeout') {
      const now = await client.containerInspect(c.Id).catch(() => undefined);
      if (now?.State.Running) return 0;
    }
    const r = quick === 'timeout' ? await waited : quick;
    if (r instanceof Error) throw new StatusError(1, r.message);
    if (r.Error?.Message) throw new StatusError(1, r.Error.Message);
    return r.StatusCode;
  } finally {
    stopProxy();
  }
}
