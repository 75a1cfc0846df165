import * as os from 'node:os';
import { NotFoundError } from '../../lib/errors.js';
import { emptyCpu, encodeStats, zeroStats, ZERO_TIME, type CpuStats, type NetworkStats, type StatsJSON, type StatsSample } from '../../drivers/cgroups/cgroup-stats.js';
import type { ContainerRecord } from './container-record.js';

/** What stats needs of a cgroup reader (drivers/cgroups/cgroup-reader.ts). */
export interface StatsReader {
  /** Opens a running container's counters (its init process); undefined when gone. */
  open(pid: number): StatsSource | undefined;
  systemCpu(): { systemUsage: bigint; onlineCpus: number };
}

/** One container's counters, kept open for a request. */
export interface StatsSource {
  sample(hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> | undefined;
  networks(): Record<string, NetworkStats> | undefined;
  close(): void;
}

export interface StatsContainers {
  resolve(ref: string): ContainerRecord;
}

export interface StatsRequest {
  stream: boolean;
  oneShot: boolean;
}

/** How often a stream samples (dockerd's collector interval). */
const INTERVAL_MS = 1000;

/**
 * docker stats: samples a container's cgroup counters into Docker's StatsJSON. A stream
 * sends one sample a second with the previous one's CPU figures (precpu_stats), which is
 * what CPU % is computed from; a stopped container gives zeroed stats, as dockerd does.
 * Each request has its own timer and reads only its own container's files.
 */
export class ContainerStats {
  private readonly hostMemory: bigint;

  constructor(private readonly deps: { containers: StatsContainers; reader: StatsReader; hostMemory?: number }) {
    this.hostMemory = BigInt(deps.hostMemory ?? os.totalmem());
  }

  /**
   * Serves GET /containers/{id}/stats: `write` gets one JSON document per sample. Resolves
   * when done (non-streaming), when the container is removed, or when `closed` settles.
   */
  async serve(ref: string, o: StatsRequest, write: (json: string) => void, closed: Promise<void>): Promise<void> {
    const rec = this.deps.containers.resolve(ref);
    const state = new Sampler(this.deps.reader, this.hostMemory);
    try {
      await this.run(rec, o, state, write, closed);
    } finally {
      state.close();
    }
  }

  private async run(rec: ContainerRecord, o: StatsRequest, state: Sampler, write: (json: string) => void, closed: Promise<void>): Promise<void> {
    const id = rec.Id;
    if (!o.stream) {
      if (!rec.State.Running || rec.State.Restarting) {
        write(encodeStats(zeroStats(id, rec.Name)));
        return;
      }
      const first = state.take(rec);
      if (o.oneShot || !first) {
        write(encodeStats(full(rec, first, undefined)));
        return;
      }
      let gone = false;
      await Promise.race([sleep(INTERVAL_MS), closed.then(() => (gone = true))]);
      if (gone) return;
      const second = state.take(rec);
      write(encodeStats(second ? full(rec, second, first) : zeroStats(id, rec.Name)));
      return;
    }
    let stop = false;
    void closed.then(() => (stop = true));
    let prev: (StatsSample & { cpu_stats: CpuStats }) | undefined;
    while (!stop) {
      let cur: ContainerRecord;
      try {
        cur = this.deps.containers.resolve(id);
      } catch (err) {
        if (err instanceof NotFoundError) return; // removed: the stream ends
        throw err;
      }
      const s = cur.State.Running ? state.take(cur) : undefined;
      write(encodeStats(s ? full(cur, s, prev) : zeroStats(id, cur.Name)));
      prev = s;
      await Promise.race([sleep(INTERVAL_MS), closed]);
    }
  }
}

/** Per-request sampling state: the container's counter files, opened once per pid. */
class Sampler {
  private pid = 0;
  private src: StatsSource | undefined;

  constructor(
    private readonly reader: StatsReader,
    private readonly hostMemory: bigint,
  ) {}

  take(rec: ContainerRecord): StatsSample | undefined {
    const pid = rec.State.Pid;
    if (pid <= 0) return undefined;
    if (pid !== this.pid || !this.src) {
      this.src?.close();
      this.src = this.reader.open(pid);
      this.pid = pid;
    }
    if (!this.src) return undefined;
    const cg = this.src.sample(this.hostMemory);
    if (!cg) {
      this.close();
      return undefined;
    }
    // Sampled right after the container's counters, to keep the two deltas comparable.
    const sys = this.reader.systemCpu();
    const { cpu_usage, throttling_data } = cg.cpu_stats;
    cg.cpu_stats = { cpu_usage, system_cpu_usage: sys.systemUsage || undefined, online_cpus: sys.onlineCpus || undefined, throttling_data };
    const mode = rec.HostConfig.NetworkMode;
    const networks = mode === 'none' || mode === 'host' || mode.startsWith('container:') ? undefined : this.src.networks();
    return { read: new Date().toISOString(), ...cg, networks };
  }

  close(): void {
    this.src?.close();
    this.src = undefined;
  }
}

function full(rec: ContainerRecord, s: StatsSample | undefined, prev: StatsSample | undefined): StatsJSON {
  if (!s) return zeroStats(rec.Id, rec.Name);
  return {
    ...s,
    preread: prev?.read ?? ZERO_TIME,
    precpu_stats: prev?.cpu_stats ?? emptyCpu(),
    name: rec.Name,
    id: rec.Id,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
