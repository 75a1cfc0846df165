/**
 * The client side of a hijacked attach/exec stream (docker's hijackedIOStreamer): the
 * terminal in raw mode for a TTY, stdin copied to the socket (watching for the detach
 * keys), the socket copied to stdout — raw for a TTY, demultiplexed to stdout/stderr
 * otherwise — and the container's terminal kept at the size of ours.
 */
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { DockerClient, HijackedConnection } from '../client/docker-client.js';
import { Demultiplexer, STREAM_STDERR, STREAM_SYSTEMERR } from '../client/stdcopy.js';

/** Ctrl-P Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);

/**
 * moby/term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]. Each key is a single character or
 * ctrl-<a-z @ [ \ ] ^ _>.
 */
export function parseDetachKeys(keys: string): Buffer {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const key = raw.trim();
    if (key.length > 1 && key.startsWith('ctrl-') && key.length === 6) {
      const c = key[5].toLowerCase();
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 'a'.charCodeAt(0) + 1);
      else if (c === '@') out.push(0);
      else if ('[\\]^_'.includes(c)) out.push(27 + '[\\]^_'.indexOf(c));
      else throw new Error(`Unknown character: '${c}'`);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else {
      throw new Error(`Unknown character: '${key}'`);
    }
  }
  return Buffer.from(out);
}

/**
 * Watches an input stream for the detach sequence (moby/term's escapeProxy): bytes that
 * might start the sequence are held back; if the sequence completes, they are swallowed
 * and the caller detaches; otherwise they are passed on with what follows.
 */
export class EscapeDetector {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const forward: number[] = [];
    for (const b of chunk) {
      if (this.keys.length === 0) {
        forward.push(b);
        continue;
      }
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) {
          this.held = [];
          return { forward: Buffer.from(forward), detached: true };
        }
        continue;
      }
      if (this.held.length > 0) {
        forward.push(...this.held);
        this.held = [];
        if (b === this.keys[0]) {
          this.held.push(b);
          continue;
        }
      }
      forward.push(b);
    }
    return { forward: Buffer.from(forward), detached: false };
  }
}

export type SessionEnd = 'output-ended' | 'detached' | 'input-ended';

export interface SessionOptions {
  conn: HijackedConnection;
  tty: boolean;
  /** Our stdin when attaching it; otherwise undefined (stdin is left alone). */
  stdin?: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout?: Writable;
  stderr?: Writable;
  detachKeys?: string;
  /**
   * Stdin is copied only once this settles (run: after the start). Input sent before
   * the container runs would otherwise depend on the daemon buffering it.
   */
  inputAfter?: Promise<unknown>;
}

export interface Session {
  /** Resolves when output ends or the user detaches. */
  done: Promise<SessionEnd>;
  /** Stops copying and restores the terminal. */
  close(): void;
}

/**
 * Starts copying between the hijacked connection and our streams. The terminal goes to
 * raw mode only for a TTY with stdin attached, and is restored as soon as the output
 * ends so anything printed after it is readable.
 */
export function startSession(o: SessionOptions): Session {
  const { conn } = o;
  let restored = true;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      o.stdin?.setRawMode?.(false);
    } catch {
      /* the terminal went away */
    }
  };
  if (o.stdin && o.tty && o.stdin.isTTY && o.stdin.setRawMode) {
    o.stdin.setRawMode(true);
    restored = false;
    // libuv's raw mode keeps output post-processing (ONLCR), so the container's "\r\n"
    // would reach the screen as "\r\r\n"; docker's raw mode (cfmakeraw) turns it off.
    // Leaving raw mode restores the terminal's saved settings, OPOST included.
    if (o.stdin === process.stdin) {
      // child_process is loaded here only: it costs every other command start-up time.
      const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
      spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    }
  }

  let resolveDone!: (e: SessionEnd) => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<SessionEnd>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  let finished = false;
  let stopInput = (): void => {};
  const finish = (e: SessionEnd | Error): void => {
    if (finished) return;
    finished = true;
    restore();
    stopInput();
    if (e instanceof Error) rejectDone(e);
    else resolveDone(e);
  };

  // Output: socket → stdout (and stderr).
  const hasOutput = o.stdout !== undefined || o.stderr !== undefined;
  const demux = o.tty ? undefined : new Demultiplexer();
  conn.socket.on('data', (chunk: Buffer) => {
    if (!demux) {
      o.stdout?.write(chunk);
      return;
    }
    let frames;
    try {
      frames = demux.push(chunk);
    } catch (err) {
      finish(err as Error);
      conn.close();
      return;
    }
    for (const f of frames) {
      if (f.stream === STREAM_SYSTEMERR) {
        finish(new Error(f.payload.toString('utf8')));
        return;
      }
      (f.stream === STREAM_STDERR ? (o.stderr ?? o.stdout) : o.stdout)?.write(f.payload);
    }
  });
  conn.socket.on('end', () => {
    restore();
    finish('output-ended');
  });
  conn.socket.on('close', () => finish('output-ended'));
  conn.socket.on('error', (err) => {
    // A reset after the daemon finished is just the end of the stream.
    if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE') finish('output-ended');
    else finish(err);
  });

  // Input: stdin → socket, watching for the detach keys on a TTY.
  if (o.stdin) {
    const stdin = o.stdin;
    let keys: Buffer = DEFAULT_DETACH_KEYS;
    if (o.detachKeys) {
      try {
        keys = parseDetachKeys(o.detachKeys);
      } catch {
        keys = DEFAULT_DETACH_KEYS;
      }
    }
    const escape = o.tty ? new EscapeDetector(keys) : undefined;
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (!escape) {
        if (!conn.socket.destroyed) conn.socket.write(buf);
        return;
      }
      const { forward, detached } = escape.feed(buf);
      if (forward.length && !conn.socket.destroyed) conn.socket.write(forward);
      if (detached) {
        finish('detached');
        conn.close();
      }
    };
    const onEnd = (): void => {
      conn.closeWrite();
      if (!hasOutput) finish('input-ended');
    };
    let stopped = false;
    const begin = (): void => {
      if (stopped || finished) return;
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
    };
    if (o.inputAfter) o.inputAfter.then(begin, () => undefined);
    else begin();
    stopInput = () => {
      stopped = true;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    };
  } else if (!hasOutput) {
    // Nothing to copy either way.
    queueMicrotask(() => finish('output-ended'));
  }

  return {
    done,
    close: () => {
      restore();
      stopInput();
      conn.close();
    },
  };
}

/**
 * Keeps the container's (or exec's) terminal at our size: once now (retrying briefly,
 * the process may not be up yet) and again on every SIGWINCH.
 */
export function monitorTtySize(
  client: DockerClient,
  id: string,
  out: { columns?: number; rows?: number; on?: (ev: string, fn: () => void) => unknown; off?: (ev: string, fn: () => void) => unknown },
  opts: { exec?: boolean; onError?: (msg: string) => void } = {},
): () => void {
  const resize = async (): Promise<void> => {
    const h = out.rows ?? 0;
    const w = out.columns ?? 0;
    if (h === 0 && w === 0) return;
    if (opts.exec) await client.execResize(id, h, w);
    else await client.containerResize(id, h, w);
  };
  void (async () => {
    try {
      await resize();
    } catch {
      for (let retry = 0; retry < 10; retry++) {
        await new Promise((r) => setTimeout(r, (retry + 1) * 10));
        try {
          await resize();
          return;
        } catch {
          /* try again */
        }
      }
      opts.onError?.('failed to resize tty, using default size');
    }
  })();
  const onResize = (): void => {
    resize().catch(() => undefined);
  };
  out.on?.('resize', onResize);
  return () => out.off?.('resize', onResize);
}

const proxiedSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Forwards the signals we receive to the container (docker's --sig-proxy). */
export function proxySignals(client: DockerClient, id: string): () => void {
  const handlers = proxiedSignals.map((sig) => {
    const h = (): void => {
      client.containerKill(id, sig).catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
