import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  ConflictError,
  InvalidParameterError,
  NotFoundError,
  NotModifiedError,
  SystemError,
  errorMessage,
  wrap,
} from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { randomName, isValidContainerName, invalidNameMessage } from '../../lib/names.js';
import type { EventBus } from '../events.js';
import type { ImageHandle, ImageUsage } from '../images/image-types.js';
import { buildRecord, normalizeHostConfig, type CreateRequest } from './container-create.js';
import { ZERO_TIME, type ContainerRecord, type HealthState } from './container-record.js';
import { ContainerStore } from './container-store.js';
import { buildSpec, resolveUser, resourceLimits } from './oci-spec.js';
import type { AttachChannel, ContainerRuntime } from './runtime.js';
import { parseSignal } from './signals.js';
import { streamLogs, type LogOptions } from './container-logs.js';
import { joinAttach, parseDetachKeys, type AttachOptions } from './container-attach.js';
import type { EndpointSettings, NetworkAttacher, PreparedNetwork } from './network-attacher.js';
import { runCommand } from '../../drivers/sys/command.js';
import { readLayeredFile } from './layered-file.js';
import { restartDecision, startsWithDaemon } from './restart-policy.js';
import { clampUlimits, validateUlimits } from './ulimits.js';
import { hostHardLimits } from '../../drivers/sys/host-limits.js';
import { dirSize } from '../../drivers/storage/dir-size.js';

/** What the containers engine needs of the image store. */
export interface ImageSource {
  get(ref: string): Promise<ImageHandle>;
}

/** What the containers engine needs of a root filesystem driver. */
export interface RootfsDriver {
  /** The root filesystem as an OCI mount at "/" for the runtime, or undefined if it must be mounted on the host. */
  rootMount(lowerDirs: string[], upper: string, work: string): Record<string, unknown> | undefined;
  mount(lowerDirs: string[], upper: string, work: string, merged: string): Promise<void>;
  unmount(merged: string): Promise<void>;
}

export interface ContainerServiceDeps {
  root: string;
  runtime: ContainerRuntime & { init(): Promise<void> };
  rootfs: RootfsDriver;
  images: ImageSource;
  events: EventBus;
  defaultRuntime?: string;
  cgroupParent?: string;
  /** Bridges, addresses, ports; without it containers get an empty network namespace. */
  network?: NetworkAttacher;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface PendingAttach {
  client: Duplex;
  opts: AttachOptions;
  write: (stream: number, data: Buffer) => void;
  done: (why: string) => void;
}

/** Per-container live bookkeeping that is not persisted. */
interface Live {
  lock: Promise<unknown>;
  /** Resolves when the container's current start attempt has finished. */
  starting?: Promise<void>;
  exitWaiters: ((code: number) => void)[];
  removeWaiters: ((code: number) => void)[];
  pendingAttach: PendingAttach[];
  /** Resolves when the running task exits (for logs -f). */
  exited?: Promise<void>;
  resolveExited?: () => void;
  size?: [number, number];
  /** A scheduled restart (restart policy) and the back-off it used. */
  restartTimer?: NodeJS.Timeout;
  restartDelay: number;
}

const DEFAULT_STOP_TIMEOUT = 10;

/**
 * The containers engine: the state machine over container records and their tasks.
 * Every operation on one container runs under that container's lock; task exits arrive
 * from the runtime's exit watcher.
 */
export class ContainerService implements ImageUsage {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();
  private readonly live = new Map<string, Live>();
  private readonly store: ContainerStore;
  private readonly runtime: ContainerServiceDeps['runtime'];
  private readonly defaultRuntime: string;
  private readonly cgroupParent: string;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.store = new ContainerStore(deps.root);
    this.runtime = deps.runtime;
    this.defaultRuntime = deps.defaultRuntime ?? 'runc';
    this.cgroupParent = deps.cgroupParent ?? '/berth';
  }

  // ---- lifecycle of the service ----------------------------------------------------

  async init(): Promise<void> {
    await this.store.init();
    await this.runtime.init();
    this.runtime.onExit((id, code) => void this.handleExit(id, code));
    for (const rec of await this.store.loadAll()) {
      this.records.set(rec.Id, rec);
      this.names.set(rec.Name.slice(1), rec.Id);
    }
    await Promise.all([...this.records.values()].map((rec) => this.reconcile(rec)));
  }

  /**
   * Restart policies at daemon start (moby's restore): brings back what should be running.
   * Called once the whole daemon is up (networks reconciled), not from init().
   */
  startPolicyContainers(): void {
    for (const rec of this.records.values()) {
      if (rec.State.Running || rec.State.Restarting) continue;
      if (rec.State.Status === 'created') continue;
      if (!startsWithDaemon(rec.HostConfig.RestartPolicy, rec.State.ExitCode, rec.RestartCount, Boolean(rec.ManualStop))) continue;
      void this.locked(rec.Id, () => this.doStart(rec)).catch((err) => log.error('cannot restart container at daemon start', { id: rec.Id, err: errorMessage(err) }));
    }
  }

  /** berthd is stopping: containers keep running under their conmon. */
  async shutdown(): Promise<void> {
    this.runtime.close();
  }

  /** Re-adopts one container after a daemon start: its task may have run on, or exited, meanwhile. */
  private async reconcile(rec: ContainerRecord): Promise<void> {
    try {
      if (rec.State.Status === 'removing') {
        await this.finishRemove(rec);
        return;
      }
      if (rec.State.Restarting) {
        // The daemon went down during a restart back-off: carry on with the restart.
        await this.runtime.delete(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
        await this.scheduleRestart(rec, this.liveOf(rec.Id).restartDelay || 100);
        return;
      }
      const code = await this.runtime.exitCode(rec.Id);
      if (rec.State.Running) {
        if (code !== undefined) {
          // It exited while berthd was down: FinishedAt is when, not now.
          const at = await this.runtime.exitTime(rec.Id).catch(() => undefined);
          await this.handleExit(rec.Id, code, '', at);
        } else if (await this.runtime.monitorAlive(rec.Id)) {
          const st = await this.runtime.state(rec.Id, rec.HostConfig.Runtime);
          rec.State.Paused = st?.status === 'paused';
          rec.State.Status = rec.State.Paused ? 'paused' : 'running';
          this.liveOf(rec.Id);
          this.armExited(rec.Id);
          await this.deps.network?.restore(rec);
          log.info('re-adopted running container', { id: rec.Id.slice(0, 12) });
        } else {
          // The monitor is gone and left no exit code (host reboot, kill -9 of conmon).
          await this.handleExit(rec.Id, 255, 'container monitor lost');
        }
      } else if (await this.runtime.taskExists(rec.Id)) {
        // A start that crashed half-way: clean the task up.
        await this.runtime.delete(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
        await this.deps.rootfs.unmount(this.mergedDir(rec.Id)).catch(() => undefined);
      }
    } catch (err) {
      log.error('cannot re-adopt container', { id: rec.Id, err: errorMessage(err) });
    }
  }

  // ---- lookup ------------------------------------------------------------------------

  /** By full ID, name (with or without the leading slash), or unique ID prefix. */
  resolve(ref: string): ContainerRecord {
    if (!ref) throw new NotFoundError('No such container: ');
    const direct = this.records.get(ref);
    if (direct) return direct;
    const byName = this.names.get(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return this.records.get(byName)!;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.records.keys()].filter((id) => id.startsWith(ref));
      if (matches.length === 1) return this.records.get(matches[0])!;
      if (matches.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const r of this.records.values()) {
      if (r.State.Paused) paused++;
      else if (r.State.Running) running++;
    }
    return { total: this.records.size, running, paused, stopped: this.records.size - running - paused };
  }

  containersUsing(imageId: string): { id: string; running: boolean }[] {
    return this.all()
      .filter((r) => r.Image === imageId)
      .map((r) => ({ id: r.Id, running: r.State.Running }));
  }

  dataRoot(): string {
    return this.store.root;
  }

  /** POST /containers/{id}/update: new limits (applied at once to a running task) and restart policy. */
  async update(ref: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }> {
    const rec = this.resolve(ref);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('invalid update body');
    return this.locked(rec.Id, async () => {
      const { RestartPolicy, ...resources } = body as { RestartPolicy?: { Name?: string; MaximumRetryCount?: number } };
      const allowed = ['CpuShares', 'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'KernelMemory', 'OomKillDisable', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'Ulimits'];
      const given = Object.fromEntries(Object.entries(resources).filter(([k, v]) => allowed.includes(k) && v !== undefined && v !== null && v !== 0 && v !== ''));
      // An empty policy name leaves the policy alone (the docker CLI always sends one).
      const newPolicy = RestartPolicy?.Name ? RestartPolicy : undefined;
      if (newPolicy && rec.HostConfig.AutoRemove && newPolicy.Name !== 'no') {
        throw new ConflictError('Restart policy cannot be updated because AutoRemove is enabled for the container');
      }
      const merged = normalizeHostConfig({ ...rec.HostConfig, ...given, RestartPolicy: newPolicy ?? rec.HostConfig.RestartPolicy }, rec.HostConfig.Runtime);
      if (merged.Memory && merged.MemorySwap > 0 && merged.MemorySwap < merged.Memory) {
        throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
      }
      if (rec.State.Running && !rec.State.Restarting) {
        const limits = resourceLimits(merged);
        if (Object.keys(limits).length) await this.runtime.update(rec.Id, rec.HostConfig.Runtime, limits);
      }
      rec.HostConfig = merged;
      await this.save(rec);
      this.deps.events.publish('container', 'update', rec.Id, this.attrs(rec));
      return { Warnings: [] };
    });
  }

  /** Records a health check result; a status change is a `health_status` event. */
  async setHealth(id: string, health: HealthState, changed: boolean): Promise<void> {
    const rec = this.records.get(id);
    if (!rec || !rec.State.Running) return;
    rec.State.Health = health;
    await this.save(rec);
    if (changed) this.deps.events.publish('container', `health_status: ${health.Status}`, id, this.attrs(rec));
  }

  /** Bytes the container wrote to its own layer (Docker's SizeRw). */
  async sizeRw(id: string): Promise<number> {
    return dirSize(path.join(this.store.dir(id), 'diff'));
  }

  mergedDir(id: string): string {
    return path.join(this.store.dir(id), 'merged');
  }

  /**
   * Runs `fn` on the container's root filesystem as its processes see it: while it runs,
   * `/proc/<pid>/root` (bind mounts and tmpfs included); otherwise its rootfs mounted on
   * the host for the duration, under the container's lock so it cannot start meanwhile.
   * For cp, export and the like: `fn` must not trust the tree (see drivers/storage/rooted-fs).
   */
  async withRootfs<T>(ref: string, fn: (root: string, rec: ContainerRecord) => Promise<T>): Promise<T> {
    const rec = this.resolve(ref);
    if (rec.State.Running && rec.State.Pid > 0) return fn(`/proc/${rec.State.Pid}/root`, rec);
    return this.locked(rec.Id, async () => {
      if (!this.records.has(rec.Id)) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Running && rec.State.Pid > 0) return fn(`/proc/${rec.State.Pid}/root`, rec);
      const dir = this.store.dir(rec.Id);
      const merged = this.mergedDir(rec.Id);
      await this.deps.rootfs.mount(rec.LayerDirs, path.join(dir, 'diff'), path.join(dir, 'work'), merged);
      try {
        return await fn(merged, rec);
      } finally {
        await this.deps.rootfs.unmount(merged).catch((err) => log.warn('cannot unmount rootfs', { id: rec.Id, err: errorMessage(err) }));
      }
    });
  }

  private liveOf(id: string): Live {
    let l = this.live.get(id);
    if (!l) {
      l = { lock: Promise.resolve(), exitWaiters: [], removeWaiters: [], pendingAttach: [], restartDelay: 0 };
      this.live.set(id, l);
    }
    return l;
  }

  /** Serialises operations on one container. */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const l = this.liveOf(id);
    const run = l.lock.then(fn, fn);
    l.lock = run.catch(() => undefined);
    return run;
  }

  private async save(rec: ContainerRecord): Promise<void> {
    await this.store.save(rec);
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...rec.Config.Labels, image: rec.Config.Image, name: rec.Name.slice(1), ...extra };
  }

  // ---- create ------------------------------------------------------------------------

  async create(body: CreateRequest, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidParameterError('config cannot be empty in order to create a container');
    }
    if (name) {
      if (!isValidContainerName(name)) throw new InvalidParameterError(invalidNameMessage(name));
      name = name.replace(/^\//, '');
    }
    const imageRef = body.Image;
    if (typeof imageRef !== 'string' || !imageRef) throw new InvalidParameterError('no image specified: Config.Image is required');
    const image = await this.deps.images.get(imageRef);
    const runtime = (body.HostConfig?.Runtime as string | undefined) || this.defaultRuntime;
    let id: string;
    do id = randomBytes(32).toString('hex');
    while (this.records.has(id) || /^\d+$/.test(id.slice(0, 12)));
    let nm: string;
    if (name) {
      nm = name;
      this.claimName(nm, id);
    } else {
      nm = randomName((n: string) => this.names.has(n));
      this.names.set(nm, id);
    }
    const dir = this.store.dir(id);
    try {
      const rec = buildRecord({ id, name: nm, body, image, dataDir: this.store.root, defaultRuntime: runtime });
      await checkMountSources(rec, 'create');
      validateUlimits(rec.HostConfig.Ulimits);
      const { warnings } = clampUlimits(rec.HostConfig.Ulimits, await hostHardLimits());
      if (rec.HostConfig.NetworkMode.startsWith('container:')) this.resolve(rec.HostConfig.NetworkMode.slice('container:'.length));
      const networking = body.NetworkingConfig as { EndpointsConfig?: Record<string, Partial<EndpointSettings> | null> } | null | undefined;
      await this.deps.network?.validate(rec, networking?.EndpointsConfig ?? undefined);
      await fsp.mkdir(dir, { mode: 0o710 });
      await Promise.all(['diff', 'work', 'merged'].map((d) => fsp.mkdir(path.join(dir, d))));
      await this.save(rec);
      this.records.set(id, rec);
      this.deps.events.publish('container', 'create', id, this.attrs(rec));
      for (const w of warnings) log.warn(w, { id });
      return { Id: id, Warnings: warnings };
    } catch (err) {
      this.names.delete(nm);
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private claimName(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder && holder !== id) {
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.names.set(name, id);
  }

  // ---- start -------------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (rec.State.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (rec.State.Running) throw new NotModifiedError('container already started');
      if (rec.State.Status === 'removing') throw new ConflictError(`container is marked for removal and cannot be started`);
      // A start by the user resets the restart manager.
      rec.RestartCount = 0;
      this.liveOf(rec.Id).restartDelay = 0;
      await this.doStart(rec);
    });
  }

  private async doStart(rec: ContainerRecord): Promise<void> {
    const l = this.liveOf(rec.Id);
    let release!: () => void;
    l.starting = new Promise((r) => (release = r));
    const merged = this.mergedDir(rec.Id);
    const dir = this.store.dir(rec.Id);
    let created = false;
    let networkPrepared = false;
    try {
      await checkMountSources(rec, 'start');
      const upper = path.join(dir, 'diff');
      const rootMount = this.deps.rootfs.rootMount(rec.LayerDirs, upper, path.join(dir, 'work'));
      if (!rootMount) await this.deps.rootfs.mount(rec.LayerDirs, upper, path.join(dir, 'work'), merged);
      const [passwd, group] = await Promise.all([
        readLayeredFile(upper, rec.LayerDirs, 'etc/passwd'),
        readLayeredFile(upper, rec.LayerDirs, 'etc/group'),
      ]);
      const user = resolveUser(rec.Config.User, passwd, group, rec.HostConfig.GroupAdd ?? []);
      const { net, joined } = await this.prepareNetwork(rec);
      networkPrepared = true;
      await this.writeEtcFiles(rec, net, joined);
      const { rlimits } = clampUlimits(rec.HostConfig.Ulimits, await hostHardLimits());
      const spec = buildSpec({
        rlimits,
        record: rec,
        rootfs: merged,
        rootMount,
        user,
        network: net.netns,
        cgroupParent: this.cgroupParent,
      });
      const { pid } = await this.runtime.create({
        id: rec.Id,
        spec,
        tty: rec.Config.Tty,
        openStdin: rec.Config.OpenStdin,
        stdinOnce: rec.Config.StdinOnce,
        logPath: rec.LogPath,
        runtime: rec.HostConfig.Runtime,
      });
      created = true;
      // Attach before start, or early output goes only to the log.
      await this.connectPendingAttaches(rec);
      if (rec.Config.Tty) {
        const [h, w] = l.size ?? rec.HostConfig.ConsoleSize ?? [0, 0];
        if (h > 0 && w > 0) await this.runtime.resize(rec.Id, h, w).catch(() => undefined);
      }
      this.armExited(rec.Id);
      await this.runtime.start(rec.Id, rec.HostConfig.Runtime);
      rec.State = {
        ...rec.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: new Date().toISOString(),
      };
      rec.ManualStop = false;
      await this.save(rec);
      this.deps.events.publish('container', 'start', rec.Id, this.attrs(rec));
    } catch (err) {
      const message = errorMessage(err);
      if (created) await this.runtime.delete(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
      else await this.runtime.delete(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
      await this.deps.rootfs.unmount(merged).catch(() => undefined);
      if (networkPrepared) await this.deps.network?.release(rec).catch((e) => log.warn('network teardown failed', { id: rec.Id, err: errorMessage(e) }));
      this.failPendingAttaches(rec.Id);
      const { code, invalid } = startErrorCode(message, rec.Path);
      rec.State = { ...rec.State, Status: rec.State.StartedAt === ZERO_TIME ? 'created' : 'exited', Running: false, Pid: 0, Error: message, ExitCode: code };
      if (invalid) rec.State.Status = 'exited';
      await this.save(rec).catch(() => undefined);
      this.settleExitWaiters(rec.Id, code);
      // As dockerd does: a failed start of a --rm container removes it (the docker CLI
      // waits for condition=removed before it reports the error).
      if (rec.HostConfig.AutoRemove) {
        await this.finishRemove(rec).catch((e) => log.error('auto-remove failed', { id: rec.Id, err: errorMessage(e) }));
      }
      if (invalid) throw new InvalidParameterError(message, { cause: err });
      throw wrap(err, 'failed to start container');
    } finally {
      release();
      l.starting = undefined;
    }
  }

  private armExited(id: string): void {
    const l = this.liveOf(id);
    l.exited = new Promise((r) => (l.resolveExited = r));
  }

  /**
   * The task's network: `container:NAME` joins that running container's namespace (and
   * copies its /etc files); every other mode is the network attacher's.
   */
  private async prepareNetwork(rec: ContainerRecord): Promise<{ net: PreparedNetwork; joined?: ContainerRecord }> {
    const mode = rec.HostConfig.NetworkMode;
    if (mode.startsWith('container:')) {
      const target = this.resolve(mode.slice('container:'.length));
      if (!target.State.Running) throw new ConflictError(`cannot join network namespace of a non running container: ${target.Id}`);
      const key = target.NetworkSettings?.SandboxKey;
      const netns: PreparedNetwork['netns'] =
        target.HostConfig.NetworkMode === 'host' ? { mode: 'host' } : { mode: 'path', path: key || `/proc/${target.State.Pid}/ns/net` };
      return { net: { netns, hosts: [], resolvConf: '' }, joined: target };
    }
    if (this.deps.network) return { net: await this.deps.network.prepare(rec) };
    return { net: { netns: mode === 'host' ? { mode: 'host' } : { mode: 'new' }, hosts: [], resolvConf: '' } };
  }

  private async writeEtcFiles(rec: ContainerRecord, net: PreparedNetwork, joined?: ContainerRecord): Promise<void> {
    if (joined) {
      await Promise.all([
        fsp.copyFile(joined.HostnamePath, rec.HostnamePath),
        fsp.copyFile(joined.HostsPath, rec.HostsPath),
        fsp.copyFile(joined.ResolvConfPath, rec.ResolvConfPath),
      ]);
      return;
    }
    const hostNet = net.netns.mode === 'host';
    const hostname = hostNet ? os.hostname() : rec.Config.Hostname;
    const hosts = hostNet
      ? await fsp.readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n')
      : [
          '127.0.0.1\tlocalhost',
          '::1\tlocalhost ip6-localhost ip6-loopback',
          'fe00::0\tip6-localnet',
          'ff00::0\tip6-mcastprefix',
          'ff02::1\tip6-allnodes',
          'ff02::2\tip6-allrouters',
          ...(rec.HostConfig.ExtraHosts ?? []).map((h) => {
            const i = h.indexOf(':');
            const ip = h.slice(i + 1);
            // --add-host NAME:host-gateway: the host's address on the default bridge, as in Docker.
            return `${ip === 'host-gateway' ? (net.hostGateway ?? ip) : ip}\t${h.slice(0, i)}`;
          }),
          ...net.hosts,
          '',
        ].join('\n');
    let resolv = net.resolvConf || (await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
    const hc = rec.HostConfig;
    if (!net.resolvConf && hc.Dns?.length || hc.DnsSearch?.length || hc.DnsOptions?.length) {
      const lines = resolv.split('\n');
      const keep = (k: string, given?: string[]): string[] => (given?.length ? [] : lines.filter((l) => l.startsWith(k)));
      resolv = [
        ...(hc.Dns?.length ? hc.Dns.map((d) => `nameserver ${d}`) : keep('nameserver')),
        ...(hc.DnsSearch?.length ? [`search ${hc.DnsSearch.join(' ')}`] : keep('search')),
        ...(hc.DnsOptions?.length ? [`options ${hc.DnsOptions.join(' ')}`] : keep('options')),
        '',
      ].join('\n');
    }
    await Promise.all([
      fsp.writeFile(rec.HostnamePath, hostname + '\n'),
      fsp.writeFile(rec.HostsPath, hosts),
      fsp.writeFile(rec.ResolvConfPath, resolv),
    ]);
  }

  // ---- exits -------------------------------------------------------------------------

  private async handleExit(id: string, code: number, error = '', finishedAt?: Date): Promise<void> {
    const rec = this.records.get(id);
    if (!rec) return;
    const l = this.liveOf(id);
    if (l.starting) await l.starting;
    if (!rec.State.Running && rec.State.Status !== 'running') {
      // Already handled (e.g. a start that failed), just drop the task files.
      await this.runtime.delete(id, rec.HostConfig.Runtime).catch(() => undefined);
      return;
    }
    // The OOM counter lives in the task's cgroup, which the delete removes.
    const oomKilled = await this.runtime.oomKilled(id, rec.HostConfig.Runtime).catch(() => false);
    if (oomKilled) this.deps.events.publish('container', 'oom', id, this.attrs(rec));
    await Promise.all([
      this.runtime.delete(id, rec.HostConfig.Runtime).catch((err) => log.warn('cannot delete task', { id, err: errorMessage(err) })),
      this.deps.rootfs.unmount(this.mergedDir(id)).catch((err) => log.warn('cannot unmount rootfs', { id, err: errorMessage(err) })),
      this.deps.network?.release(rec).catch((err) => log.warn('cannot tear the network down', { id, err: errorMessage(err) })),
    ]);
    rec.State = {
      ...rec.State,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
      ExitCode: code,
      Error: error,
      OOMKilled: oomKilled,
      FinishedAt: (finishedAt ?? new Date()).toISOString(),
    };
    // An auto-remove container's record goes next; a crash in between is re-adopted as an exit anyway.
    if (!rec.HostConfig.AutoRemove) {
      await this.save(rec).catch((err) => log.error('cannot save container record', { id, err: errorMessage(err) }));
    }
    this.deps.events.publish('container', 'die', id, this.attrs(rec, { exitCode: String(code) }));
    l.resolveExited?.();
    this.settleExitWaiters(id, code);
    if (rec.HostConfig.AutoRemove) {
      await this.locked(id, () => this.finishRemove(rec)).catch((err) => log.error('auto-remove failed', { id, err: errorMessage(err) }));
      return;
    }
    const ranMs = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
    const d = restartDecision(rec.HostConfig.RestartPolicy, code, rec.RestartCount, Boolean(rec.ManualStop), ranMs, l.restartDelay);
    if (d.restart) await this.scheduleRestart(rec, d.delay);
  }

  /** Restart policy: the container shows as restarting until the back-off delay has passed. */
  private async scheduleRestart(rec: ContainerRecord, delay: number): Promise<void> {
    const l = this.liveOf(rec.Id);
    l.restartDelay = delay;
    rec.State = { ...rec.State, Status: 'restarting', Running: true, Restarting: true };
    await this.save(rec).catch((err) => log.error('cannot save container record', { id: rec.Id, err: errorMessage(err) }));
    l.restartTimer = setTimeout(() => {
      l.restartTimer = undefined;
      void this.locked(rec.Id, async () => {
        if (!rec.State.Restarting || !this.records.has(rec.Id)) return;
        rec.RestartCount++;
        await this.doStart(rec);
      }).catch((err) => {
        log.error('restart failed', { id: rec.Id, err: errorMessage(err) });
      });
    }, delay);
  }

  /** Cancels a scheduled restart (stop, kill, rm): the container stays exited. */
  private async cancelRestart(rec: ContainerRecord): Promise<boolean> {
    const l = this.liveOf(rec.Id);
    if (!rec.State.Restarting) return false;
    if (l.restartTimer) clearTimeout(l.restartTimer);
    l.restartTimer = undefined;
    rec.ManualStop = true;
    rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
    await this.save(rec);
    return true;
  }

  private settleExitWaiters(id: string, code: number): void {
    const l = this.liveOf(id);
    const waiters = l.exitWaiters;
    l.exitWaiters = [];
    for (const w of waiters) w(code);
  }

  /** Resolves with the exit code when the condition is met. Registered before it returns. */
  wait(ref: string, condition: WaitCondition): { ready: Promise<number> } {
    const rec = this.resolve(ref);
    const l = this.liveOf(rec.Id);
    if (condition === 'removed') {
      return { ready: new Promise((r) => l.removeWaiters.push(r)) };
    }
    if (condition === 'not-running' && !rec.State.Running) {
      return { ready: Promise.resolve(rec.State.ExitCode) };
    }
    return { ready: new Promise((r) => l.exitWaiters.push(r)) };
  }

  // ---- stop / kill / restart ---------------------------------------------------------

  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (!rec.State.Running) throw new NotModifiedError('container already stopped');
      await this.doStop(rec, timeoutSec, signal);
    });
  }

  private async doStop(rec: ContainerRecord, timeoutSec?: number, signal?: string): Promise<void> {
    if (await this.cancelRestart(rec)) {
      this.deps.events.publish('container', 'stop', rec.Id, this.attrs(rec));
      return;
    }
    rec.ManualStop = true;
    const sig = parseSignal(signal || rec.Config.StopSignal, 'SIGTERM');
    const timeout = timeoutSec ?? rec.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    const exited = this.exitPromise(rec.Id);
    if (timeout !== 0) {
      await this.signal(rec, sig);
      if (rec.State.Paused) await this.runtime.resume(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
      const done = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
      if (done) {
        this.deps.events.publish('container', 'stop', rec.Id, this.attrs(rec));
        return;
      }
    }
    await this.signal(rec, 'SIGKILL');
    if (rec.State.Paused) await this.runtime.resume(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
    await exited;
    this.deps.events.publish('container', 'stop', rec.Id, this.attrs(rec));
  }

  private exitPromise(id: string): Promise<number> {
    const l = this.liveOf(id);
    return new Promise((r) => l.exitWaiters.push(r));
  }

  private async signal(rec: ContainerRecord, sig: string): Promise<void> {
    this.deps.events.publish('container', 'kill', rec.Id, this.attrs(rec, { signal: String(signalNum(sig)) }));
    try {
      await this.runtime.kill(rec.Id, sig, rec.HostConfig.Runtime);
    } catch (err) {
      // The task may have exited between our check and the kill.
      if (!/not running|container not running|process already finished|does not exist/.test(errorMessage(err))) throw err;
    }
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const rec = this.resolve(ref);
    const sig = parseSignal(signal, 'SIGKILL');
    await this.locked(rec.Id, async () => {
      if (!rec.State.Running || rec.State.Restarting) {
        if (rec.State.Restarting) throw new ConflictError(`Cannot kill container: ${ref}: Container ${rec.Id} is restarting, wait until the container is running`);
        throw new ConflictError(`Cannot kill container: ${ref}: container ${rec.Id} is not running`);
      }
      if (sig === 'SIGKILL') rec.ManualStop = true;
      const exited = sig === 'SIGKILL' ? this.exitPromise(rec.Id) : undefined;
      await this.signal(rec, sig);
      if (sig === 'SIGKILL' && rec.State.Paused) await this.runtime.resume(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
      if (exited) await exited;
    });
  }

  async restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (rec.State.Running) await this.doStop(rec, timeoutSec, signal);
      await this.doStart(rec);
      this.deps.events.publish('container', 'restart', rec.Id, this.attrs(rec));
    });
  }

  // ---- pause -------------------------------------------------------------------------

  async pause(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (!rec.State.Running) throw new ConflictError(`container ${rec.Id} is not running`);
      if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
      if (rec.State.Paused) throw new ConflictError(`container ${rec.Id} is already paused`);
      await this.runtime.pause(rec.Id, rec.HostConfig.Runtime);
      rec.State.Paused = true;
      rec.State.Status = 'paused';
      await this.save(rec);
      this.deps.events.publish('container', 'pause', rec.Id, this.attrs(rec));
    });
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (!rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is not paused`);
      await this.runtime.resume(rec.Id, rec.HostConfig.Runtime);
      rec.State.Paused = false;
      rec.State.Status = 'running';
      await this.save(rec);
      this.deps.events.publish('container', 'unpause', rec.Id, this.attrs(rec));
    });
  }

  // ---- remove / rename ---------------------------------------------------------------

  async remove(ref: string, force: boolean): Promise<void> {
    const rec = this.resolve(ref);
    await this.locked(rec.Id, async () => {
      if (!this.records.has(rec.Id)) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Restarting) {
        if (!force) {
          throw new ConflictError(`cannot remove container "${ref}": container is restarting: stop the container before removing or force remove`);
        }
        await this.cancelRestart(rec);
      }
      if (rec.State.Running) {
        if (!force) {
          // dockerd's wording, naming the container as the client did.
          const why = rec.State.Paused ? 'container is paused and must be unpaused first' : 'container is running: stop the container before removing or force remove';
          throw new ConflictError(`cannot remove container "${ref}": ${why}`);
        }
        const exited = this.exitPromise(rec.Id);
        rec.ManualStop = true;
        await this.signal(rec, 'SIGKILL');
        if (rec.State.Paused) await this.runtime.resume(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
        await exited;
        // An auto-remove container may have gone with its exit.
        if (!this.records.has(rec.Id)) return;
      }
      await this.finishRemove(rec);
    });
  }

  private async finishRemove(rec: ContainerRecord): Promise<void> {
    if (!this.records.has(rec.Id)) return;
    rec.State.Status = 'removing';
    // The task is gone by now (exit handled); only a crash can have left one behind.
    if (await this.runtime.taskExists(rec.Id)) await this.runtime.delete(rec.Id, rec.HostConfig.Runtime).catch(() => undefined);
    await this.deps.rootfs.unmount(this.mergedDir(rec.Id));
    await this.deps.network?.release(rec).catch((err) => log.warn('cannot tear the network down', { id: rec.Id, err: errorMessage(err) }));
    // Dropping the record is the commit point: a crash after it leaves only a directory
    // without a record, which the store sweeps at start.
    await this.store.remove(rec.Id);
    this.records.delete(rec.Id);
    this.failPendingAttaches(rec.Id);
    if (this.names.get(rec.Name.slice(1)) === rec.Id) this.names.delete(rec.Name.slice(1));
    this.deps.events.publish('container', 'destroy', rec.Id, this.attrs(rec));
    const l = this.liveOf(rec.Id);
    for (const w of l.removeWaiters) w(rec.State.ExitCode);
    for (const w of l.exitWaiters) w(rec.State.ExitCode);
    this.live.delete(rec.Id);
  }

  // ---- networks ----------------------------------------------------------------------

  /** POST /networks/{id}/connect: takes effect at once when the container runs. */
  async connectNetwork(ref: string, network: string, config: Partial<EndpointSettings> | undefined): Promise<void> {
    const rec = this.resolve(ref);
    const attacher = this.deps.network;
    if (!attacher) throw new InvalidParameterError('networking is not enabled in this daemon');
    await this.locked(rec.Id, async () => {
      await attacher.connect(rec, network, config, rec.State.Running);
      await this.save(rec);
    });
  }

  /** POST /networks/{id}/disconnect */
  async disconnectNetwork(ref: string, network: string, force: boolean): Promise<void> {
    const rec = this.resolve(ref);
    const attacher = this.deps.network;
    if (!attacher) throw new InvalidParameterError('networking is not enabled in this daemon');
    await this.locked(rec.Id, async () => {
      if (rec.State.Status === 'removing' || rec.State.Dead) throw new ConflictError(`Container ${rec.Id} is marked for removal and cannot be connected or disconnected to the network`);
      await attacher.disconnect(rec, network, force, rec.State.Running);
      await this.save(rec);
    });
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.resolve(ref);
    if (!newName) throw new InvalidParameterError('Neither old nor new names may be empty');
    if (!isValidContainerName(newName)) throw new InvalidParameterError(invalidNameMessage(newName));
    const name = newName.replace(/^\//, '');
    await this.locked(rec.Id, async () => {
      const old = rec.Name.slice(1);
      if (old === name) throw new ConflictError(`Renaming a container with the same name as its current name`);
      this.claimName(name, rec.Id);
      rec.Name = '/' + name;
      try {
        await this.save(rec);
      } catch (err) {
        rec.Name = '/' + old;
        this.names.delete(name);
        throw err;
      }
      this.names.delete(old);
      this.deps.events.publish('container', 'rename', rec.Id, this.attrs(rec, { oldName: '/' + old }));
    });
  }

  // ---- logs / top / attach / resize --------------------------------------------------

  async logs(
    ref: string,
    o: LogOptions,
    emit: (stream: 1 | 2, data: Buffer) => void,
    cancelled: Promise<void>,
    flush?: () => void,
  ): Promise<void> {
    const rec = this.resolve(ref);
    const l = this.liveOf(rec.Id);
    const stopped = rec.State.Running && l.exited ? l.exited : Promise.resolve();
    await streamLogs(rec.LogPath, { ...o, follow: o.follow && rec.State.Running }, emit, stopped, cancelled, flush);
  }

  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.resolve(ref);
    if (!rec.State.Running || rec.State.Restarting) throw new ConflictError(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is paused, unpause the container before inspecting it`);
    const pids = await this.runtime.pids(rec.Id, rec.HostConfig.Runtime);
    const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
    const r = await runCommand('ps', args);
    if (r.code !== 0) throw new InvalidParameterError(`Error running ps: ${r.stderr.trim() || 'exit status ' + r.code}`);
    return parsePs(r.stdout, pids);
  }

  async attach(
    ref: string,
    client: Duplex,
    params: { stdin: boolean; stdout: boolean; stderr: boolean; logs: boolean; stream: boolean; detachKeys?: string },
    write: (stream: number, data: Buffer) => void,
  ): Promise<void> {
    const rec = this.resolve(ref);
    const opts: AttachOptions = {
      stdin: params.stdin && rec.Config.OpenStdin,
      stdout: params.stdout,
      stderr: params.stderr,
      detachKeys: parseDetachKeys(params.detachKeys || 'ctrl-p,ctrl-q'),
      tty: rec.Config.Tty,
      stdinOnce: rec.Config.StdinOnce && !rec.Config.Tty,
    };
    if (params.logs) {
      await streamLogs(rec.LogPath, { stdout: params.stdout, stderr: params.stderr, timestamps: false, follow: false }, (s, d) => write(s, d), Promise.resolve(), Promise.resolve());
    }
    if (!params.stream) {
      client.end();
      return;
    }
    const l = this.liveOf(rec.Id);
    if (l.starting) await l.starting;
    if (rec.State.Running) {
      const channel = await this.runtime.attach(rec.Id);
      await joinAttach(client, channel, opts, write);
      return;
    }
    if (rec.State.Status === 'dead' || rec.State.Status === 'removing') {
      client.end();
      return;
    }
    // Created or exited: join when the container (next) starts, before runc start so no
    // output is missed. dockerd does the same: `docker start -a` attaches, then starts.
    await new Promise<void>((resolve) => {
      const pending: PendingAttach = { client, opts, write, done: () => resolve() };
      l.pendingAttach.push(pending);
      client.on('close', () => {
        l.pendingAttach = l.pendingAttach.filter((p) => p !== pending);
        resolve();
      });
    });
  }

  private async connectPendingAttaches(rec: ContainerRecord): Promise<void> {
    const l = this.liveOf(rec.Id);
    const pending = l.pendingAttach;
    l.pendingAttach = [];
    await Promise.all(
      pending.map(async (p) => {
        let channel: AttachChannel;
        try {
          channel = await this.runtime.attach(rec.Id);
        } catch (err) {
          log.warn('attach failed', { id: rec.Id, err: errorMessage(err) });
          p.client.end();
          p.done('failed');
          return;
        }
        void joinAttach(p.client, channel, p.opts, p.write).then((why) => p.done(why));
      }),
    );
  }

  private failPendingAttaches(id: string): void {
    const l = this.liveOf(id);
    for (const p of l.pendingAttach) {
      p.client.end();
      p.done('failed');
    }
    l.pendingAttach = [];
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const rec = this.resolve(ref);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw new InvalidParameterError('invalid resize dimensions');
    const l = this.liveOf(rec.Id);
    l.size = [h, w];
    if (!rec.State.Running) {
      if (rec.State.Status === 'created') return;
      throw new ConflictError(`container ${rec.Id} is not running`);
    }
    if (!rec.Config.Tty) return;
    await this.runtime.resize(rec.Id, h, w).catch((err) => {
      throw new SystemError(`cannot resize tty: ${errorMessage(err)}`);
    });
  }
}

/** Maps a start failure to Docker's exit code and class (daemon/start.go translateContainerdStartErr). */
export function startErrorCode(message: string, cmd: string): { code: number; invalid: boolean } {
  const m = message.toLowerCase();
  if (m.includes(cmd.toLowerCase()) && (m.includes('executable file not found') || m.includes('no such file or directory'))) {
    return { code: 127, invalid: true };
  }
  if (m.includes('permission denied')) return { code: 126, invalid: true };
  if (m.includes('not a directory')) return { code: 127, invalid: true };
  if (m.includes('no such file or directory') || m.includes('executable file not found')) return { code: 127, invalid: true };
  if (m.includes('unable to find user') || m.includes('unable to find group')) return { code: 128, invalid: true };
  return { code: 128, invalid: false };
}

/**
 * dockerd's bind source rules: a `--mount type=bind` source must exist (refused at create);
 * a `-v /host:/ctr` source that is missing is created as a directory at start.
 */
async function checkMountSources(rec: ContainerRecord, phase: 'create' | 'start'): Promise<void> {
  if (phase === 'create') {
    for (const m of rec.HostConfig.Mounts ?? []) {
      if (m.Type !== 'bind' || !m.Source) continue;
      const found = await fsp.stat(m.Source).then(() => true, () => false);
      if (!found) throw new InvalidParameterError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
    }
    return;
  }
  for (const b of rec.HostConfig.Binds ?? []) {
    const src = b.split(':')[0];
    if (!path.isAbsolute(src)) continue;
    const found = await fsp.lstat(src).then(() => true, () => false);
    if (!found) await fsp.mkdir(src, { recursive: true, mode: 0o755 });
  }
}

function signalNum(sig: string): number {
  const n = (os.constants.signals as Record<string, number>)[sig];
  return n ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Keeps the ps lines whose PID column is one of the container's (moby's parsePSOutput). */
export function parsePs(out: string, pids: number[]): { Titles: string[]; Processes: string[][] } {
  const lines = out.split('\n');
  const titles = lines[0].trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new InvalidParameterError(`Couldn't find PID field in ps output`);
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!want.has(pid)) continue;
    const p = fields.slice(0, titles.length - 1);
    p.push(fields.slice(titles.length - 1).join(' '));
    processes.push(p);
  }
  return { Titles: titles, Processes: processes };
}
