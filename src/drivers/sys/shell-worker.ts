import { spawn, type ChildProcess } from 'node:child_process';
import { SystemError } from '../../lib/errors.js';
import type { CommandResult } from './command.js';

/** Runs a POSIX shell script; its stdout and stderr come back together in `stdout`. */
export type ScriptRunner = (script: string) => Promise<CommandResult>;

const SCRIPT_TIMEOUT_MS = 30_000;

interface Job {
  script: string;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
}

/**
 * A long-lived `/bin/sh` that runs scripts one after another: the seam for short host
 * programs on a latency-critical path (a container's network set-up is three of them).
 * Forking `ip` from a small shell costs a fraction of spawning it from Node, whose
 * fork has to copy the page tables of a large process. Scripts are the caller's own
 * text (never user input); each runs with stdin from /dev/null, so nothing it starts
 * can read the worker's command stream.
 */
class ShellWorker {
  private proc: ChildProcess | undefined;
  private buf = '';
  private seq = 0;
  private current: (Job & { marker: string; timer: NodeJS.Timeout }) | undefined;
  readonly queue: Job[] = [];

  get load(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  push(job: Job): void {
    this.queue.push(job);
    this.next();
  }

  private start(): ChildProcess {
    const p = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => this.onData(d));
    p.stderr!.on('data', () => undefined);
    p.stdin!.on('error', () => undefined);
    p.on('exit', () => {
      if (this.proc !== p) return;
      this.proc = undefined;
      const job = this.current;
      this.current = undefined;
      this.buf = '';
      if (job) clearTimeout(job.timer);
      job?.reject(new SystemError(`shell worker exited while running: ${job.script.split('\n')[0]}`));
      this.next();
    });
    return p;
  }

  /** An idle worker must not keep berthd (or a test process) alive; a busy one must. */
  private hold(on: boolean): void {
    const p = this.proc;
    if (!p) return;
    for (const h of [p, p.stdin, p.stdout, p.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  private next(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) {
      this.hold(false);
      return;
    }
    this.proc ??= this.start();
    this.hold(true);
    const marker = `__berth_done_${++this.seq}_`;
    // A script that hangs (a wedged `ip`) must not stall every later one: kill the shell,
    // fail the script, and the next one gets a fresh shell.
    const p = this.proc;
    const timer = setTimeout(() => {
      if (this.current?.marker === marker) p.kill('SIGKILL');
    }, SCRIPT_TIMEOUT_MS);
    timer.unref();
    this.current = { ...job, marker, timer };
    this.proc.stdin!.write(`{\n${job.script}\n} </dev/null 2>&1; __berth_st=$?; echo ""; echo "${marker}$__berth_st"\n`);
  }

  private onData(d: string): void {
    this.buf += d;
    const job = this.current;
    if (!job) return;
    const i = this.buf.indexOf(job.marker);
    if (i < 0) return;
    const nl = this.buf.indexOf('\n', i);
    if (nl < 0) return;
    const code = Number(this.buf.slice(i + job.marker.length, nl));
    // Drop the newline of the marker's `echo ""` and, as $(...) does, the output's last one.
    const out = this.buf.slice(0, i).replace(/\n$/, '').replace(/\n$/, '');
    this.buf = this.buf.slice(nl + 1);
    clearTimeout(job.timer);
    this.current = undefined;
    job.resolve({ code, stdout: out, stderr: code === 0 ? '' : out });
    this.next();
  }

  close(): void {
    this.proc?.stdin?.end();
    this.proc = undefined;
  }
}

/** A few shell workers; a script goes to the least busy one. */
export class ShellPool {
  private readonly workers: ShellWorker[];

  constructor(size = 2) {
    this.workers = Array.from({ length: size }, () => new ShellWorker());
  }

  readonly run: ScriptRunner = (script) =>
    new Promise((resolve, reject) => {
      const w = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
      w.push({ script, resolve, reject });
    });

  close(): void {
    for (const w of this.workers) w.close();
  }
}

/** Quotes a word for the shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
