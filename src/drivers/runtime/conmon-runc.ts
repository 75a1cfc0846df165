import { spawn } from 'node:child_process';
import { promises as fsp, watch, type FSWatcher, accessSync, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { checkCommand, runCommand } from '../sys/command.js';
import { InvalidParameterError, SystemError, isErrno } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { AttachChannel, ContainerRuntime, ExecProcess, ExecSpec, TaskSpec, TaskState } from '../../engine/containers/runtime.js';
import { conmonExec, openAttachSocket } from './conmon-exec.js';

export interface RuntimeConfig {
  execRoot: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: string;
  cgroupVersion: '1' | '2';
  conmonPath?: string;
}

/** sun_path holds 108 bytes; conmon's attach socket lives at <socket-dir>/<short id>/attach. */
const MAX_SOCKET_PATH = 107;

/**
 * conmon + runc: one conmon per container, double-forked so the container outlives
 * berthd. The task's files (bundle, pid files, exit file, attach socket) are the only
 * link between them, so a restarted berthd finds everything again.
 */
export class ConmonRuncRuntime implements ContainerRuntime {
  private readonly exitDir: string;
  private readonly socketDir: string;
  private readonly bundles: string;
  private readonly conmon: string;
  private readonly paths = new Map<string, { bin: string; args: string[]; root: string }>();
  private watcher: FSWatcher | undefined;
  private exitCbs: ((id: string, code: number) => void)[] = [];
  private reported = new Set<string>();

  constructor(private readonly cfg: RuntimeConfig) {
    this.exitDir = path.join(cfg.execRoot, 'exits');
    this.socketDir = path.join(cfg.execRoot, 's');
    this.bundles = path.join(cfg.execRoot, 'containers');
    this.conmon = cfg.conmonPath ?? findExecutable('conmon');
    for (const [name, r] of Object.entries(cfg.runtimes)) {
      this.paths.set(name, {
        bin: r.path.includes('/') ? r.path : findExecutable(r.path),
        args: r.runtimeArgs ?? [],
        root: path.join(cfg.execRoot, 'runtime-' + name),
      });
    }
    if (path.join(this.socketDir, '0123456789ab', 'attach').length > MAX_SOCKET_PATH) {
      throw new InvalidParameterError(`exec root ${cfg.execRoot} is too long for attach sockets`);
    }
  }

  async init(): Promise<void> {
    await Promise.all([this.exitDir, this.socketDir, this.bundles].map((d) => fsp.mkdir(d, { recursive: true, mode: 0o700 })));
    this.watcher = watch(this.exitDir, (_ev, name) => {
      if (name) void this.checkExit(String(name));
    });
    this.watcher.on('error', (err) => log.error('exit watcher failed', { err: err.message }));
  }

  close(): void {
    this.watcher?.close();
  }

  onExit(cb: (id: string, code: number) => void): void {
    this.exitCbs.push(cb);
  }

  private runtime(name: string): { bin: string; args: string[]; root: string } {
    const r = this.paths.get(name);
    if (!r) throw new InvalidParameterError(`unknown or invalid runtime name: ${name}`);
    return r;
  }

  private runc(name: string, args: string[]): Promise<string> {
    const r = this.runtime(name);
    return checkCommand(r.bin, ['--root', r.root, ...r.args, ...args]);
  }

  bundle(id: string): string {
    return path.join(this.bundles, id);
  }

  private short(id: string): string {
    return id.slice(0, 12);
  }

  async create(task: TaskSpec): Promise<{ pid: number }> {
    const r = this.runtime(task.runtime);
    const bundle = this.bundle(task.id);
    await fsp.rm(bundle, { recursive: true, force: true });
    await fsp.mkdir(bundle, { recursive: true, mode: 0o700 });
    await fsp.rm(path.join(this.exitDir, task.id), { force: true });
    this.reported.delete(task.id);
    await fsp.writeFile(path.join(bundle, 'config.json'), JSON.stringify(task.spec));
    const args = [
      '--api-version', '1',
      '-c', task.id,
      '-u', this.short(task.id),
      '-n', task.id,
      '-r', r.bin,
      '-b', bundle,
      '-p', path.join(bundle, 'pidfile'),
      '-P', path.join(bundle, 'conmon.pid'),
      '-l', `k8s-file:${task.logPath}`,
      '--exit-dir', this.exitDir,
      '--socket-dir-path', this.socketDir,
      '--log-level', 'error',
      // conmon would sync() every filesystem on exit: slow, and the log needs no such promise.
      '--no-sync-log',
      `--runtime-arg=--root=${r.root}`,
      ...r.args.map((a) => `--runtime-arg=${a}`),
    ];
    if (task.tty) args.push('-t');
    if (task.openStdin) {
      args.push('-i');
      // dockerd closes a container's stdin when its client goes only for StdinOnce without a
      // TTY: a terminal session can be detached from and attached to again.
      if (!task.stdinOnce || task.tty) args.push('--leave-stdin-open');
    }
    const pid = await spawnConmon(this.conmon, args, bundle);
    return { pid };
  }

  async start(id: string, runtime: string): Promise<void> {
    await this.runc(runtime, ['start', id]);
  }

  async kill(id: string, signal: string, runtime: string, all = false): Promise<void> {
    await this.runc(runtime, ['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  async pause(id: string, runtime: string): Promise<void> {
    await this.runc(runtime, ['pause', id]);
  }

  async resume(id: string, runtime: string): Promise<void> {
    await this.runc(runtime, ['resume', id]);
  }

  async delete(id: string, runtime: string): Promise<void> {
    const r = this.runtime(runtime);
    if (!(path.basename(r.bin) === 'runc' && (await deleteStoppedRuncState(path.join(r.root, id))))) {
      const res = await runCommand(r.bin, ['--root', r.root, ...r.args, 'delete', '--force', id]);
      if (res.code !== 0 && !/does not exist|not exist/.test(res.stderr)) {
        throw new SystemError(`runc delete ${id}: ${res.stderr.trim()}`);
      }
    }
    await Promise.all([
      fsp.rm(this.bundle(id), { recursive: true, force: true }),
      fsp.rm(path.join(this.exitDir, id), { force: true }),
      fsp.rm(path.join(this.socketDir, this.short(id)), { force: true }),
    ]);
    this.reported.delete(id);
  }

  async state(id: string, runtime: string): Promise<TaskState | undefined> {
    const r = this.runtime(runtime);
    const res = await runCommand(r.bin, ['--root', r.root, ...r.args, 'state', id]);
    if (res.code !== 0) return undefined;
    const s = JSON.parse(res.stdout) as { status: TaskState['status']; pid: number };
    return { status: s.status, pid: s.pid };
  }

  async pids(id: string, runtime: string): Promise<number[]> {
    const out = await this.runc(runtime, ['ps', '--format', 'json', id]);
    return (JSON.parse(out) as number[] | null) ?? [];
  }

  async exitCode(id: string): Promise<number | undefined> {
    try {
      const text = (await fsp.readFile(path.join(this.exitDir, id), 'utf8')).trim();
      if (!text) return undefined;
      const n = Number.parseInt(text, 10);
      return Number.isNaN(n) ? undefined : n;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async exitTime(id: string): Promise<Date | undefined> {
    try {
      return (await fsp.stat(path.join(this.exitDir, id))).mtime;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async monitorAlive(id: string): Promise<boolean> {
    try {
      const pid = Number.parseInt(await fsp.readFile(path.join(this.bundle(id), 'conmon.pid'), 'utf8'), 10);
      if (!pid) return false;
      process.kill(pid, 0);
      // The pid may have been reused: make sure it is still a conmon.
      const cmd = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes(id);
    } catch {
      return false;
    }
  }

  async oomKilled(id: string, runtime: string): Promise<boolean> {
    let paths: Record<string, string> | undefined;
    try {
      const state = JSON.parse(await fsp.readFile(path.join(this.runtime(runtime).root, id, 'state.json'), 'utf8'));
      paths = state.cgroup_paths;
    } catch {
      return false;
    }
    // v1: memory.oom_control's oom_kill counter; v2: memory.events in the unified group.
    const files = [paths?.memory && path.join(paths.memory, 'memory.oom_control'), paths?.[''] && path.join(paths[''], 'memory.events')];
    for (const f of files) {
      if (!f) continue;
      try {
        const m = /^oom_kill (\d+)$/m.exec(await fsp.readFile(f, 'utf8'));
        if (m && Number(m[1]) > 0) return true;
      } catch {
        /* not this hierarchy */
      }
    }
    return false;
  }

  async update(id: string, runtime: string, resources: Record<string, unknown>): Promise<void> {
    const r = this.runtime(runtime);
    const res = await runCommand(r.bin, ['--root', r.root, ...r.args, 'update', '-r', '-', id], { input: JSON.stringify(resources) });
    if (res.code !== 0) throw new SystemError(`Cannot update container ${id}: ${res.stderr.trim() || 'runc update failed'}`);
  }

  async taskExists(id: string): Promise<boolean> {
    try {
      await fsp.access(path.join(this.bundle(id), 'config.json'));
      return true;
    } catch {
      return false;
    }
  }

  private async checkExit(id: string): Promise<void> {
    if (this.reported.has(id) || !/^[0-9a-f]{64}$/.test(id)) return;
    let code = await this.exitCode(id);
    if (code === undefined) {
      // conmon creates the file before it writes the code into it.
      await new Promise((r) => setTimeout(r, 10));
      code = await this.exitCode(id);
      if (code === undefined) return;
    }
    if (this.reported.has(id)) return;
    this.reported.add(id);
    for (const cb of this.exitCbs) cb(id, code);
  }

  async attach(id: string): Promise<AttachChannel> {
    return openAttachSocket(path.join(this.socketDir, this.short(id), 'attach'));
  }

  exec(spec: ExecSpec): Promise<ExecProcess> {
    const r = this.runtime(spec.runtime);
    const execDir = path.join(this.cfg.execRoot, 'execs');
    return conmonExec({ conmon: this.conmon, runtime: r, bundle: this.bundle(spec.containerId), execDir, socketDir: this.socketDir }, spec);
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    // One message per write: conmon 2.1.6 applies only the first message of a combined write.
    const fh = await fsp.open(path.join(this.bundle(id), 'ctl'), fsc.O_WRONLY | fsc.O_NONBLOCK);
    try {
      await fh.write(`1 ${rows} ${cols}\n`);
    } finally {
      await fh.close();
    }
  }
}

/**
 * What `runc delete` does for a container whose processes are all gone — remove its
 * cgroups and its state dir — without the cost of starting runc (~15 ms here). Returns
 * false when runc itself must do it (processes left, or a state this does not know).
 */
async function deleteStoppedRuncState(stateDir: string): Promise<boolean> {
  let state: { init_process_pid?: number; init_process_start?: number; cgroup_paths?: Record<string, string> };
  try {
    state = JSON.parse(await fsp.readFile(path.join(stateDir, 'state.json'), 'utf8'));
  } catch (err) {
    return isErrno(err, 'ENOENT');
  }
  if (!state.cgroup_paths || (await processAlive(state.init_process_pid ?? 0, state.init_process_start ?? 0))) return false;
  try {
    for (const p of new Set(Object.values(state.cgroup_paths))) {
      await fsp.rmdir(p).catch((err) => {
        if (!isErrno(err, 'ENOENT')) throw err;
      });
    }
  } catch {
    return false; // EBUSY: processes remain in the cgroup
  }
  await fsp.rm(stateDir, { recursive: true, force: true });
  return true;
}

/** Is this pid still the process that started at `start` (clock ticks since boot)? */
async function processAlive(pid: number, start: number): Promise<boolean> {
  if (pid <= 0) return false;
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]) === start && fields[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Spawns conmon with the sync pipe on fd 3 and waits for its first message: the
 * container's pid after `runc create`, or -1 and runc's error.
 */
function spawnConmon(conmon: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(conmon, args, {
      // conmon drops an "oom" marker file into its working directory when the container is OOM-killed.
      cwd,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
    });
    const pipe = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    let buf = '';
    let done = false;
    const finish = (err: Error | undefined, pid?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // conmon double-forks: its pipe stays open in the monitor; drop our end or Node never exits.
      pipe.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    const timer = setTimeout(() => finish(new SystemError('conmon did not report the container pid within 60s')), 60_000);
    child.on('error', (e) => finish(new SystemError(`conmon: ${e.message}`, { cause: e })));
    pipe.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      const line = nl >= 0 ? buf.slice(0, nl) : buf;
      let msg: { data: number; message?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // partial line
      }
      if (msg.data < 0) finish(new SystemError(cleanRuncError(msg.message ?? 'unknown error')));
      else finish(undefined, msg.data);
    });
    pipe.on('end', () => finish(new SystemError(`conmon exited before reporting the container pid: ${buf.trim()}`)));
  });
}

/** runc's errors arrive as logfmt lines; keep the human part. */
function cleanRuncError(msg: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(msg);
  const text = m ? m[1].replace(/\\"/g, '"') : msg.trim();
  return `OCI runtime create failed: ${text}`;
}

function findExecutable(name: string): string {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    const p = path.join(dir, name);
    try {
      accessSync(p, fsc.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new SystemError(`${name} not found in PATH: install it (scripts/setup.sh does)`);
}
