/**
 * `run` and `create`, as the docker CLI does them: create (pulling a missing image and
 * retrying), then for run: attach before start, wait registered before start, start,
 * keep the TTY size in step, and exit with the container's status.
 */
import { promises as fsp, readFileSync, existsSync } from 'node:fs';
import { ApiError } from '../../client/api-error.js';
import type { ContainerWaitResponse } from '../../client/types.js';
import { monitorTtySize, proxySignals, startSession, type SessionEnd } from '../attach-session.js';
import { StatusError, type CliContext } from '../command.js';
import { buildCreateRequest, OptionError, type ContainerOptions, type CreateRequest } from '../run-options.js';
import { err, errorText, out } from './common.js';

export interface RunOptions extends ContainerOptions {
  detach: boolean;
  sigProxy: boolean;
  detachKeys: string;
}

/** The image reference docker prints in "Unable to find image 'busybox:latest' locally". */
export function familiarTagged(image: string): string {
  let s = image;
  if (s.startsWith('docker.io/library/')) s = s.slice('docker.io/library/'.length);
  else if (s.startsWith('docker.io/')) s = s.slice('docker.io/'.length);
  if (s.includes('@')) return s;
  const slash = s.lastIndexOf('/');
  if (s.lastIndexOf(':') <= slash) s += ':latest';
  return s;
}

function withHelp(ctx: CliContext, message: string, command: string): string {
  return `${ctx.program}: ${message}\n\nRun '${ctx.program} ${command} --help' for more information`;
}

/** docker's toStatusError: 127 for a missing command, 126 for one that cannot run, else 125. */
export function runStatusError(ctx: CliContext, e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  const msg = errorText(e);
  let status = 125;
  if (msg.includes('executable file not found') || msg.includes('no such file or directory') || msg.includes('system cannot find the file specified')) status = 127;
  else if (msg.includes('permission denied') || msg.includes('is a directory')) status = 126;
  return new StatusError(status, withHelp(ctx, msg, 'run'));
}

function mappingEnv(ctx: CliContext): Parameters<typeof buildCreateRequest>[1] {
  const o = ctx.streams.out;
  return {
    getenv: (k) => ctx.env[k],
    readFile: (f) => readFileSync(f, 'utf8'),
    cwd: process.cwd(),
    consoleSize: o.isTTY ? [o.rows ?? 0, o.columns ?? 0] : [0, 0],
  };
}

function buildRequest(ctx: CliContext, o: ContainerOptions, command: 'run' | 'create', detach: boolean): CreateRequest {
  try {
    return buildCreateRequest(o, mappingEnv(ctx), { detach });
  } catch (e) {
    if (e instanceof OptionError) throw new StatusError(125, withHelp(ctx, e.message, command));
    throw e;
  }
}

/** Pulls an image, showing the progress on stderr as docker does (bars on a terminal). */
async function pullImage(ctx: CliContext, image: string, o: { quiet: boolean; platform: string }): Promise<void> {
  // Loaded only when a pull is needed: the registry code is not small.
  const { pullImageWithProgress } = await import('./registry-ops.js');
  await pullImageWithProgress(ctx, image, { quiet: o.quiet, platform: o.platform, to: ctx.streams.err });
}

/**
 * Creates the container (docker's createContainer): writes --cidfile, pulls the image
 * when the daemon does not have it (`--pull missing`), prints the daemon's warnings.
 */
async function createContainer(ctx: CliContext, req: CreateRequest, o: ContainerOptions): Promise<string> {
  if (req.cidfile && existsSync(req.cidfile)) {
    throw new Error(`container ID file found, make sure the other container isn't running or delete ${req.cidfile}`);
  }
  if (req.cidfile) {
    try {
      await fsp.writeFile(req.cidfile, '', { flag: 'wx' });
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${errorText(e)}`, { cause: e });
    }
  }
  let written = false;
  try {
    const client = ctx.client();
    if (o.pull === 'always') await pullImage(ctx, o.image, o);
    let res;
    try {
      res = await client.containerCreate(req.body, { name: req.name, platform: req.platform });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404 || o.pull !== 'missing' || !isNamedReference(o.image)) throw e;
      if (!o.quiet) err(ctx, `Unable to find image '${familiarTagged(o.image)}' locally\n`);
      await pullImage(ctx, o.image, o);
      res = await client.containerCreate(req.body, { name: req.name, platform: req.platform });
    }
    for (const w of res.Warnings ?? []) err(ctx, `WARNING: ${w}\n`);
    if (req.cidfile) {
      await fsp.writeFile(req.cidfile, res.Id);
      written = true;
    }
    return res.Id;
  } finally {
    if (req.cidfile && !written) await fsp.rm(req.cidfile, { force: true });
  }
}

/** A full image ID is not something to pull. */
function isNamedReference(image: string): boolean {
  return !/^(sha256:)?[0-9a-f]{64}$/.test(image);
}

export async function createAction(ctx: CliContext, o: ContainerOptions): Promise<number> {
  const req = buildRequest(ctx, o, 'create', false);
  const id = await createContainer(ctx, req, o);
  out(ctx, `${id}\n`);
  return 0;
}

function delay(ms: number): Promise<'timeout'> {
  return new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
}

/** The exit status a wait answer stands for (125 when the wait itself failed). */
function waitStatus(ctx: CliContext, r: PromiseSettledResult<ContainerWaitResponse>): number {
  if (r.status === 'rejected') {
    if (ctx.debug) err(ctx, `error waiting for container: ${errorText(r.reason)}\n`);
    return 125;
  }
  if (r.value.Error?.Message) {
    err(ctx, `Error waiting for container: ${r.value.Error.Message}\n`);
    return 125;
  }
  return r.value.StatusCode;
}

export async function runAction(ctx: CliContext, o: RunOptions): Promise<number> {
  const req = buildRequest(ctx, o, 'run', o.detach);
  const config = req.body;
  const { streams } = ctx;
  if (!o.detach && config.Tty && config.AttachStdin && !streams.in.isTTY) {
    throw new StatusError(1, 'the input device is not a TTY');
  }
  let id: string;
  try {
    id = await createContainer(ctx, req, o);
  } catch (e) {
    throw runStatusError(ctx, e);
  }
  const client = ctx.client();
  const stopProxy = o.sigProxy ? proxySignals(client, id) : () => undefined;
  try {
    const attach = Boolean(config.AttachStdin || config.AttachStdout || config.AttachStderr);
    let session: ReturnType<typeof startSession> | undefined;
    let started!: () => void;
    const startedGate = new Promise<void>((r) => (started = r));
    if (attach) {
      const conn = await client.containerAttach(id, {
        stream: true,
        stdin: config.AttachStdin,
        stdout: config.AttachStdout,
        stderr: config.AttachStderr,
        detachKeys: o.detachKeys,
      });
      session = startSession({
        conn,
        tty: Boolean(config.Tty),
        stdin: config.AttachStdin ? streams.in : undefined,
        stdout: config.AttachStdout ? streams.out : undefined,
        stderr: config.AttachStderr ? (config.Tty ? streams.out : streams.err) : undefined,
        detachKeys: o.detachKeys,
        inputAfter: startedGate,
      });
    }
    const autoRemove = Boolean((config.HostConfig as Record<string, unknown>).AutoRemove);
    const wait = client.containerWait(id, autoRemove ? 'removed' : 'next-exit');
    const waited: Promise<PromiseSettledResult<ContainerWaitResponse>> = wait.result.then(
      (value) => ({ status: 'fulfilled', value }) as const,
      (reason) => ({ status: 'rejected', reason }) as const,
    );
    // The wait must be in place before start, or a quick exit could be missed; a daemon
    // that only answers the headers at exit gets a short grace instead.
    await Promise.race([wait.registered.catch(() => undefined), delay(500)]);

    try {
      await client.containerStart(id);
    } catch (e) {
      session?.close();
      if (autoRemove) await Promise.race([waited, delay(5000)]);
      throw runStatusError(ctx, e);
    }
    started();

    if (!attach) {
      out(ctx, `${id}\n`);
      return 0;
    }
    let stopResize = (): void => {};
    if (config.Tty && streams.out.isTTY) {
      stopResize = monitorTtySize(client, id, streams.out as never, { onError: (m) => err(ctx, `${m}\n`) });
    }
    try {
      const first = await Promise.race([session!.done.then((e) => ({ kind: 'session' as const, e })), waited.then((r) => ({ kind: 'wait' as const, r }))]);
      if (first.kind === 'session') {
        const end: SessionEnd = first.e;
        if (end === 'detached') return 0;
        return await statusAfterOutput(ctx, id, waited);
      }
      // The container exited: let the output drain unless none is attached.
      if (!config.AttachStdout && !config.AttachStderr) session!.close();
      await Promise.race([session!.done.catch(() => undefined), delay(2000)]);
      session!.close();
      return waitStatus(ctx, first.r);
    } catch (e) {
      throw new StatusError(1, errorText(e));
    } finally {
      stopResize();
    }
  } finally {
    stopProxy();
  }
}

/**
 * The output ended. Usually the container exited and the wait answers at once; if it
 * does not and the container is still running, the daemon closed the stream because
 * the user typed the detach keys: exit 0 without waiting, as docker does.
 */
async function statusAfterOutput(ctx: CliContext, id: string, waited: Promise<PromiseSettledResult<ContainerWaitResponse>>): Promise<number> {
  const quick = await Promise.race([waited, delay(300)]);
  if (quick !== 'timeout') return waitStatus(ctx, quick);
  try {
    const c = await ctx.client().containerInspect(id);
    if (c.State?.Running) return 0;
  } catch {
    /* removed meanwhile (--rm): the wait will say */
  }
  return waitStatus(ctx, await waited);
}
