import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { Duplex } from 'node:stream';
import { ConflictError, InvalidParameterError, NotFoundError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { RootedFs } from '../../drivers/storage/rooted-fs.js';
import type { EventBus } from '../events.js';
import { joinAttach, parseDetachKeys } from './container-attach.js';
import type { ContainerRecord } from './container-record.js';
import { ALL_CAPS, effectiveCaps, resolveUser, type ProcessUser } from './oci-spec.js';
import type { AttachChannel, ContainerRuntime, ExecProcess } from './runtime.js';

/** POST /containers/{id}/exec body (Docker's ExecConfig / ExecCreateRequest). */
export interface ExecCreateRequest {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
}

/** POST /exec/{id}/start body. */
export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** What the exec engine needs of the containers engine. */
export interface ExecContainers {
  resolve(ref: string): ContainerRecord;
}

export interface ContainerExecsDeps {
  containers: ExecContainers;
  runtime: Pick<ContainerRuntime, 'exec'>;
  events: EventBus;
  /** How long an ended exec stays inspectable (moby: 5 to 10 minutes). */
  keepEndedMs?: number;
}

/** One exec instance: config from create, live state from start. Kept in memory only, as dockerd does. */
interface ExecInstance {
  id: string;
  containerId: string;
  entrypoint: string;
  args: string[];
  tty: boolean;
  privileged: boolean;
  user: string;
  workingDir: string;
  env: string[];
  openStdin: boolean;
  openStdout: boolean;
  openStderr: boolean;
  detachKeys: Buffer;
  consoleSize?: [number, number];
  running: boolean;
  exitCode: number | null;
  pid: number;
  canRemove: boolean;
  process?: ExecProcess;
  /** Set at the first resize before the process exists. */
  size?: [number, number];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * docker exec: exec instances are created against a running container, started once
 * (attached over a hijacked connection, or detached), resized, and inspected until some
 * minutes after they end. The process itself is the runtime's (conmon --exec).
 */
export class ContainerExecs {
  private readonly execs = new Map<string, ExecInstance>();
  /** Live (not yet ended) exec IDs per container: what container inspect shows as ExecIDs. */
  private readonly byContainer = new Map<string, Set<string>>();
  private readonly keepEndedMs: number;

  constructor(private readonly deps: ContainerExecsDeps) {
    this.keepEndedMs = deps.keepEndedMs ?? 5 * 60_000;
  }

  /** ExecIDs for container inspect: the container's execs that have not ended, or null. */
  idsFor(containerId: string): string[] | null {
    const s = this.byContainer.get(containerId);
    return s && s.size ? [...s] : null;
  }

  /** ContainerExecCreate. */
  async create(ref: string, body: ExecCreateRequest): Promise<{ Id: string }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('No exec command specified');
    const cmd = body.Cmd ?? [];
    if (!Array.isArray(cmd) || cmd.length === 0) throw new InvalidParameterError('No exec command specified');
    const rec = this.deps.containers.resolve(ref);
    checkRunning(rec, ref);
    let detachKeys: Buffer = Buffer.alloc(0);
    if (body.DetachKeys) {
      try {
        detachKeys = parseDetachKeys(body.DetachKeys);
      } catch {
        throw new InvalidParameterError(`Invalid escape keys (${body.DetachKeys}) provided`);
      }
    }
    const user = body.User || rec.Config.User || '';
    if (body.User) {
      // Look the user up now so a typo fails the create, as dockerd does.
      await this.resolveExecUser(rec, body.User);
    }
    const id = randomBytes(32).toString('hex');
    const e: ExecInstance = {
      id,
      containerId: rec.Id,
      entrypoint: String(cmd[0]),
      args: cmd.slice(1).map(String),
      tty: !!body.Tty,
      privileged: !!body.Privileged,
      user,
      workingDir: body.WorkingDir || rec.Config.WorkingDir || '',
      env: replaceOrAppendEnv(daemonEnvironment(rec, !!body.Tty), body.Env ?? []),
      openStdin: !!body.AttachStdin,
      openStdout: !!body.AttachStdout,
      openStderr: !!body.AttachStderr,
      detachKeys,
      consoleSize: validSize(body.ConsoleSize),
      running: false,
      exitCode: null,
      pid: 0,
      canRemove: false,
    };
    this.execs.set(id, e);
    let set = this.byContainer.get(rec.Id);
    if (!set) this.byContainer.set(rec.Id, (set = new Set()));
    set.add(id);
    this.deps.events.publish('container', `exec_create: ${commandLine(e)}`, rec.Id, this.attrs(rec, { execID: id }));
    return { Id: id };
  }

  /** Checks what ExecStart checks before hijacking: the exec exists and its container runs. */
  checkStartable(id: string): void {
    this.startable(id);
  }

  private startable(id: string): { e: ExecInstance; rec: ContainerRecord } {
    const e = this.get(id);
    let rec: ContainerRecord;
    try {
      rec = this.deps.containers.resolve(e.containerId);
    } catch {
      throw new NotFoundError(`No such container: ${id}`);
    }
    checkRunning(rec, rec.Id);
    return { e, rec };
  }

  /**
   * ContainerExecStart. Detached: resolves once the process runs. Attached (`io` given):
   * joins the client to the process and resolves when the session ends, after the exit
   * code is recorded (the client inspects it next). Throws when the process cannot start,
   * with the exit code (126/127) set on the exec.
   */
  async start(
    id: string,
    o: ExecStartRequest,
    io?: { client: Duplex; write: (stream: number, data: Buffer) => void },
  ): Promise<void> {
    const { e, rec } = this.startable(id);
    if (e.exitCode !== null) throw new ConflictError(`exec command ${e.id} has already run`);
    if (e.running) throw new ConflictError(`exec command ${e.id} is already running`);
    e.running = true;
    this.deps.events.publish('container', `exec_start: ${commandLine(e)}`, rec.Id, this.attrs(rec, { execID: e.id }));
    const attach = !!io && (e.openStdin || e.openStdout || e.openStderr);
    const size = validSize(o.ConsoleSize) ?? e.consoleSize ?? e.size;
    let proc: ExecProcess;
    try {
      const user = await this.resolveExecUser(rec, e.user);
      const processSpec: Record<string, unknown> = {
        args: [e.entrypoint, ...e.args],
        env: e.env,
        cwd: e.workingDir || '/',
        terminal: e.tty,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      };
      if (e.tty && size) processSpec.consoleSize = { height: size[0], width: size[1] };
      if (e.privileged) {
        const all = await privilegedCaps();
        processSpec.capabilities = { bounding: all, effective: all, permitted: all };
      } else {
        const caps = effectiveCaps(rec.HostConfig.Privileged, rec.HostConfig.CapAdd, rec.HostConfig.CapDrop);
        processSpec.capabilities = { bounding: caps, effective: caps, permitted: caps };
      }
      proc = await this.deps.runtime.exec({
        containerId: rec.Id,
        execId: e.id,
        process: processSpec,
        tty: e.tty,
        openStdin: e.openStdin && attach,
        attach,
        runtime: rec.HostConfig.Runtime,
      });
    } catch (err) {
      const message = errorMessage(err);
      e.running = false;
      e.exitCode = execErrorCode(message);
      this.ended(e);
      if (err instanceof InvalidParameterError) throw err;
      throw new InvalidParameterError(message, { cause: err });
    }
    e.process = proc;
    e.pid = proc.pid;
    const exited = proc.exited.then((code) => {
      e.exitCode = code;
      e.running = false;
      this.ended(e);
      this.deps.events.publish('container', 'exec_die', rec.Id, this.attrs(rec, { execID: e.id, exitCode: String(code) }));
      return code;
    });
    // A resize that came while the process was starting wins over the start's size.
    const finalSize = e.size ?? size;
    if (e.tty && finalSize) await proc.resize(finalSize[0], finalSize[1]).catch(() => undefined);
    if (!attach || !proc.channel) {
      proc.channel?.close();
      if (io) await exited; // attached to nothing: the session is the process's lifetime
      return;
    }
    const channel = afterExit(proc.channel, exited);
    const session = joinAttach(
      io!.client,
      channel,
      {
        stdin: e.openStdin,
        stdout: e.openStdout,
        stderr: e.openStderr,
        // dockerd scans for the detach sequence only on a TTY (ctrl-p,ctrl-q by default).
        detachKeys: e.tty ? (e.detachKeys.length ? e.detachKeys : parseDetachKeys('ctrl-p,ctrl-q')) : Buffer.alloc(0),
        tty: e.tty,
        stdinOnce: true,
      },
      io!.write,
    );
    // The route paused the connection at the hijack: input sent meanwhile waited for us.
    io!.client.resume();
    const why = await session;
    if (why === 'detached') {
      this.deps.events.publish('container', 'exec_detach', rec.Id, this.attrs(rec, { execID: e.id }));
    }
  }

  /** ContainerExecResize. */
  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw new InvalidParameterError('invalid resize dimensions');
    if (!e.process) {
      // Not started (or starting): the size is applied once the process exists.
      e.size = [h, w];
      return;
    }
    if (!e.running || !e.tty) return;
    await e.process.resize(h, w).catch((err) => {
      // The process may have ended between the check and the write.
      log.debug('exec resize failed', { exec: e.id, err: errorMessage(err) });
    });
  }

  /** ContainerExecInspect. */
  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.tty,
        entrypoint: e.entrypoint,
        arguments: e.args,
        privileged: e.privileged,
        ...(e.user ? { user: e.user } : {}),
      },
      OpenStdin: e.openStdin,
      OpenStderr: e.openStderr,
      OpenStdout: e.openStdout,
      CanRemove: e.canRemove,
      ContainerID: e.containerId,
      DetachKeys: e.detachKeys.toString('base64'),
      Pid: e.pid,
    };
  }

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** The exec ended: off the container's list now, out of the daemon's after a while. */
  private ended(e: ExecInstance): void {
    const set = this.byContainer.get(e.containerId);
    set?.delete(e.id);
    if (set && set.size === 0) this.byContainer.delete(e.containerId);
    e.canRemove = true;
    const t = setTimeout(() => this.execs.delete(e.id), this.keepEndedMs);
    t.unref();
  }

  /** The exec's user from the container's own /etc/passwd and /etc/group (read inside its root). */
  private async resolveExecUser(rec: ContainerRecord, spec: string): Promise<ProcessUser> {
    let passwd = '';
    let group = '';
    if (rec.State.Pid > 0) {
      const root = await RootedFs.open(`/proc/${rec.State.Pid}/root`).catch(() => undefined);
      if (root) {
        try {
          [passwd, group] = (await Promise.all([root.readFile('/etc/passwd'), root.readFile('/etc/group')])).map((b) => b?.toString('utf8') ?? '');
        } finally {
          await root.close();
        }
      }
    }
    return resolveUser(spec, passwd, group, rec.HostConfig.GroupAdd ?? []);
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string>): Record<string, string> {
    return { ...rec.Config.Labels, image: rec.Config.Image, name: rec.Name.slice(1), ...extra };
  }
}

/**
 * "All capabilities" for a privileged exec: every one the daemon itself holds (its
 * bounding set). A capability the daemon lacks cannot be granted, and asking runc for it
 * fails the whole exec ("unable to apply caps").
 */
async function privilegedCaps(): Promise<string[]> {
  const status = await fsp.readFile('/proc/self/status', 'utf8').catch(() => '');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return [...ALL_CAPS];
  const bits = BigInt('0x' + m[1]);
  return CAP_NUMBERS.filter((name, i) => name && (bits >> BigInt(i)) & 1n) as string[];
}

/** Capabilities by number (linux/capability.h). */
const CAP_NUMBERS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** dockerd's refusals for exec into a container that is not running (daemon/exec.go). */
function checkRunning(rec: ContainerRecord, ref: string): void {
  if (!rec.State.Running) throw new ConflictError(`container ${rec.Id} is not running`);
  if (rec.State.Paused) throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
  if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
}

/**
 * The exit code an exec that could not start gets (moby's setExitCodeFromError): 126 when
 * the command cannot be invoked, 127 when it does not exist, else 126 (dockerd's default
 * for a failed start).
 */
export function execErrorCode(message: string): number {
  const m = message.toLowerCase();
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  if (m.includes('not a directory')) return 127;
  if (m.includes('executable file not found') || m.includes('no such file or directory')) return 127;
  return 126;
}

/** Container.CreateDaemonEnvironment: PATH (if the container has none), HOSTNAME, TERM, then the container's Env. */
export function daemonEnvironment(rec: Pick<ContainerRecord, 'Config'>, tty: boolean): string[] {
  const env: string[] = [];
  if (!rec.Config.Env.some((e) => e.startsWith('PATH='))) env.push(`PATH=${DEFAULT_PATH}`);
  env.push(`HOSTNAME=${rec.Config.Hostname}`);
  if (tty) env.push('TERM=xterm');
  return replaceOrAppendEnv(env, rec.Config.Env);
}

/** Go's ReplaceOrAppendEnvValues: `K=V` replaces K; a bare `K` removes it. */
export function replaceOrAppendEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  const keyOf = (kv: string): string => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv);
  for (const o of overrides) {
    const k = keyOf(o);
    const i = out.findIndex((e) => keyOf(e) === k);
    if (!o.includes('=')) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

function commandLine(e: ExecInstance): string {
  return [e.entrypoint, ...e.args].join(' ');
}

function validSize(s: [number, number] | null | undefined): [number, number] | undefined {
  if (!Array.isArray(s) || s.length !== 2) return undefined;
  const [h, w] = s;
  return Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0 ? [h, w] : undefined;
}

/**
 * The channel's end reported only once the exit code is recorded: the client asks for it
 * (exec inspect) as soon as its stream ends. conmon may close the socket before it
 * reports the exit, or report it before the last output.
 */
function afterExit(ch: AttachChannel, exited: Promise<number>): AttachChannel {
  return {
    onData: (cb) => ch.onData(cb),
    onEnd: (cb) => ch.onEnd(() => void exited.then(() => cb())),
    write: (d) => ch.write(d),
    closeStdin: () => ch.closeStdin(),
    close: () => ch.close(),
  };
}
