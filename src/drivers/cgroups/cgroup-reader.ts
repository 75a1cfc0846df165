import * as fs from 'node:fs';
import * as path from 'node:path';
import { V1_FILES, V2_FILES, parseNetDev, parseProcStat, statsFromV1, statsFromV2, type CgroupFiles, type NetworkStats, type StatsSample } from './cgroup-stats.js';

/**
 * Reads a running container's resource counters: its cgroup files (v1: one directory per
 * controller, v2: the unified one) found from /proc/<pid>/cgroup, the host's /proc/stat
 * and the container's /proc/<pid>/net/dev. Reads are synchronous on purpose: cgroupfs
 * and procfs answer from memory in microseconds, and a synchronous read costs a fraction
 * of a trip through libuv's thread pool — what keeps 50 streaming containers cheap.
 */
export class CgroupReader {
  private readonly buf = Buffer.allocUnsafe(64 << 10);
  private procStat: { at: number; value: { systemUsage: bigint; onlineCpus: number } } | undefined;

  constructor(
    readonly version: '1' | '2',
    private readonly root = '/sys/fs/cgroup',
    private readonly proc = '/proc',
  ) {}

  /** The cgroup directories of a process: by controller (v1), or '' → the unified dir (v2). */
  dirsOf(pid: number): Record<string, string> | undefined {
    const text = this.read(path.join(this.proc, String(pid), 'cgroup'));
    if (text === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^(\d+):([^:]*):(.*)$/.exec(line);
      if (!m) continue;
      if (this.version === '2') {
        if (m[1] === '0' && m[2] === '') out[''] = path.join(this.root, m[3]);
        continue;
      }
      for (const ctl of m[2].split(',')) {
        if (ctl in V1_FILES) out[ctl] = path.join(this.root, ctl, m[3]);
      }
    }
    return out;
  }

  /** One sample of the container's cgroup counters; undefined once its cgroup is gone. */
  sample(dirs: Record<string, string>, hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> | undefined {
    const files: CgroupFiles = {};
    if (this.version === '2') {
      const dir = dirs[''];
      if (!dir) return undefined;
      for (const f of V2_FILES) files[f] = this.read(path.join(dir, f));
      if (files['cpu.stat'] === undefined && files['memory.current'] === undefined) return undefined;
      return statsFromV2(files, hostMemory);
    }
    for (const [ctl, names] of Object.entries(V1_FILES)) {
      const dir = dirs[ctl];
      if (!dir) continue;
      for (const f of names) files[f] = this.read(path.join(dir, f));
    }
    if (files['cpuacct.usage'] === undefined && files['memory.usage_in_bytes'] === undefined) return undefined;
    return statsFromV1(files, hostMemory);
  }

  /** The host's CPU time (shared by all requests for a few milliseconds: it is one file for all). */
  systemCpu(): { systemUsage: bigint; onlineCpus: number } {
    const now = performance.now();
    if (this.procStat && now - this.procStat.at < 20) return this.procStat.value;
    const value = parseProcStat(this.read(path.join(this.proc, 'stat')) ?? '');
    this.procStat = { at: now, value };
    return value;
  }

  /** The container's network interfaces (its network namespace, seen through its init process). */
  networks(pid: number): Record<string, NetworkStats> | undefined {
    const text = this.read(path.join(this.proc, String(pid), 'net/dev'));
    return text === undefined ? undefined : parseNetDev(text);
  }

  private read(p: string): string | undefined {
    let fd: number;
    try {
      fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      let text = '';
      for (;;) {
        const n = fs.readSync(fd, this.buf, 0, this.buf.length, null);
        if (n <= 0) break;
        text += this.buf.toString('latin1', 0, n);
      }
      return text;
    } catch {
      return undefined;
    } finally {
      fs.closeSync(fd);
    }
  }
}
