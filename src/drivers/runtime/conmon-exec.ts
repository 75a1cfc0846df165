import { spawn } from 'node:child_process';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SystemError, errorMessage } from '../../lib/errors.js';
import type { AttachChannel, ExecProcess, ExecSpec } from '../../engine/containers/runtime.js';

/** What an exec needs of the conmon + runc driver. */
export interface ConmonExecEnv {
  conmon: string;
  /** The OCI runtime binary, its extra global args and its state root. */
  runtime: { bin: string; args: string[]; root: string };
  /** The container's bundle (its config.json holds the process the exec starts from). */
  bundle: string;
  /** Parent of the per-exec directories. */
  execDir: string;
  /** Where conmon puts the `<name>/attach` socket links (short names: sun_path is 108 bytes). */
  socketDir: string;
}

/** One JSON message of conmon's sync pipe: a pid, an exit code, or -1 and runc's error. */
interface SyncMessage {
  data: number;
  message?: string;
}

/**
 * Runs a process in a running container with `conmon --exec`: one conmon per exec, with
 * its own directory (process.json, pid file, exit dir, attach socket, ctl fifo) because
 * conmon names the exit file after the container. conmon reports twice on the sync pipe:
 * the pid once runc started the process, then its exit code.
 *
 * With `attach`, conmon waits (start pipe) until the attach socket is connected, so no
 * output is lost: spawn → first start byte → attach pipe says the socket is ready →
 * connect → second start byte → runc exec.
 */
export async function conmonExec(env: ConmonExecEnv, spec: ExecSpec): Promise<ExecProcess> {
  const short = spec.execId.slice(0, 12);
  const dir = path.join(env.execDir, spec.execId);
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(path.join(dir, 'exit'), { recursive: true, mode: 0o700 });
  const cleanup = (): Promise<void> => fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  try {
    const base = JSON.parse(await fsp.readFile(path.join(env.bundle, 'config.json'), 'utf8')) as { process?: Record<string, unknown> };
    const proc = { ...(base.process ?? {}), ...spec.process };
    if (!spec.tty) delete proc.consoleSize;
    await fsp.writeFile(path.join(dir, 'process.json'), JSON.stringify(proc));
  } catch (err) {
    await cleanup();
    throw new SystemError(`exec ${short}: cannot prepare the process spec: ${errorMessage(err)}`, { cause: err });
  }
  const args = [
    '--api-version', '1',
    '-c', spec.containerId,
    '-u', short,
    '-r', env.runtime.bin,
    '-b', dir,
    '-p', path.join(dir, 'pid'),
    '-l', 'none',
    '--exit-dir', path.join(dir, 'exit'),
    '--socket-dir-path', env.socketDir,
    '--log-level', 'error',
    '--no-sync-log',
    `--runtime-arg=--root=${env.runtime.root}`,
    ...env.runtime.args.map((a) => `--runtime-arg=${a}`),
    '--exec',
    '--exec-process-spec', path.join(dir, 'process.json'),
  ];
  if (spec.tty) args.push('-t');
  if (spec.openStdin) args.push('-i');
  if (spec.attach) args.push('--exec-attach');

  const childEnv: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3' };
  if (spec.attach) {
    childEnv._OCI_STARTPIPE = '4';
    childEnv._OCI_ATTACHPIPE = '5';
  }
  const child = spawn(env.conmon, args, {
    cwd: dir, // not berthd's: conmon writes marker files ("oom") into its working directory
    stdio: spec.attach ? ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'],
    env: childEnv,
    detached: true,
  });
  child.unref();
  const stdio = child.stdio as unknown as (Readable | Writable | null)[];
  const sync = new SyncReader(stdio[3] as Readable);
  const startPipe = spec.attach ? (stdio[4] as Writable) : undefined;
  const attachPipe = spec.attach ? new SyncReader(stdio[5] as Readable) : undefined;
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
    sync.fail(new SystemError(`conmon: ${e.message}`, { cause: e }));
    attachPipe?.fail(new SystemError(`conmon: ${e.message}`, { cause: e }));
  });
  startPipe?.on('error', () => undefined);
  const closePipes = (): void => {
    sync.destroy();
    attachPipe?.destroy();
    startPipe?.destroy();
  };

  let channel: AttachChannel | undefined;
  try {
    if (spec.attach) {
      // conmon reads one byte before it forks (the caller could move it to a cgroup).
      startPipe!.write('0');
      const ready = await attachPipe!.next();
      if (ready.data < 0) throw new SystemError(runtimeExecError(ready.message ?? 'conmon could not set up the attach socket'));
      channel = await openAttachSocket(path.join(env.socketDir, short, 'attach'));
      startPipe!.write('1');
    }
    const first = await sync.next();
    if (first.data < 0) throw new SystemError(runtimeExecError(first.message ?? 'unknown error'));
    if (spawnError) throw spawnError;
    const pid = first.data;
    const exited = sync
      .next()
      .then(
        (m) => (m.data < 0 ? 126 : m.data),
        // The monitor went away without a word (killed): as if the process was.
        () => 137,
      )
      .finally(() => {
        closePipes();
        void cleanup();
      });
    return {
      pid,
      channel,
      exited,
      resize: async (rows, cols) => {
        const fh = await fsp.open(path.join(dir, 'ctl'), fsc.O_WRONLY | fsc.O_NONBLOCK);
        try {
          await fh.write(`1 ${rows} ${cols}\n`);
        } finally {
          await fh.close();
        }
      },
    };
  } catch (err) {
    channel?.close();
    closePipes();
    await cleanup();
    throw err;
  }
}

/** runc's error, as dockerd words an exec failure (containerd adds the ": unknown" code). */
export function runtimeExecError(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  const text = (m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : raw.trim().split('\n').pop() ?? '').trim();
  const msg = text.replace(/^runc exec failed: /, '');
  return `OCI runtime exec failed: ${msg}: unknown`;
}

/** Reads conmon's newline-separated JSON sync messages one at a time. */
class SyncReader {
  private buf = '';
  private queue: SyncMessage[] = [];
  private waiters: { resolve: (m: SyncMessage) => void; reject: (e: Error) => void }[] = [];
  private ended: Error | undefined;

  constructor(private readonly stream: Readable) {
    stream.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.push(JSON.parse(line) as SyncMessage);
        } catch {
          /* not a message */
        }
      }
    });
    stream.on('end', () => this.fail(new SystemError(`conmon exited without reporting${this.buf ? ': ' + this.buf.trim() : ''}`)));
    stream.on('error', (e) => this.fail(e));
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  fail(err: Error): void {
    if (this.ended) return;
    // A message that arrived without a newline before the end still counts.
    const rest = this.buf.trim();
    this.buf = '';
    if (rest) {
      try {
        this.push(JSON.parse(rest) as SyncMessage);
      } catch {
        /* not a message */
      }
    }
    this.ended = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  next(): Promise<SyncMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  destroy(): void {
    // conmon double-forks: the monitor keeps its end open; drop ours or Node never exits.
    this.stream.destroy();
  }
}

/** Connects to a conmon attach socket (SOCK_SEQPACKET; 1 byte stream id + data per packet). */
export async function openAttachSocket(sockPath: string): Promise<AttachChannel> {
  // Loaded on first attach: the native addon costs ~7 MB of resident memory.
  const { SeqpacketSocket } = await import('node-unix-socket');
  const sock = new SeqpacketSocket();
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    try {
      sock.connect(sockPath, () => {
        sock.off('error', reject);
        resolve();
      });
    } catch (err) {
      reject(new SystemError(`attach to ${sockPath}: ${errorMessage(err)}`, { cause: err }));
    }
  });
  let ended = false;
  const endCbs: (() => void)[] = [];
  // Packets that arrive before anyone listens (the process runs while we wait for its
  // pid) are kept, and so is the end: a fast process is over by then.
  let held: Buffer[] | undefined = [];
  let dataCb: ((stream: 1 | 2, data: Buffer) => void) | undefined;
  const deliver = (buf: Buffer): void => {
    // conmon: 2 = stdout, 3 = stderr.
    if (buf.length > 1) dataCb!(buf[0] === 3 ? 2 : 1, buf.subarray(1));
  };
  sock.on('data', (buf: Buffer) => {
    if (held) held.push(buf);
    else deliver(buf);
  });
  const finish = (): void => {
    if (ended) return;
    ended = true;
    if (held) return; // reported once a listener has the held output
    for (const cb of endCbs) cb();
  };
  sock.on('end', finish);
  sock.on('close', finish);
  sock.on('error', finish);
  return {
    onData(cb) {
      dataCb = cb;
      const pending = held ?? [];
      held = undefined;
      for (const b of pending) deliver(b);
      if (ended) for (const end of endCbs.splice(0)) end();
    },
    onEnd(cb) {
      if (ended && !held) cb();
      else endCbs.push(cb);
    },
    write(data) {
      if (!ended) sock.write(data);
    },
    closeStdin() {
      if (!ended) sock.end();
    },
    close() {
      sock.destroy();
      finish();
    },
  };
}
