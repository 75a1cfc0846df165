import * as fs from 'node:fs';
import * as path from 'node:path';
import { V1_FILES, V2_FILES, parseNetDev, parseProcStat, statsFromV1, statsFromV2, type CgroupFiles, type NetworkStats, type StatsSample } from './cgroup-stats.js';

/**
 * Reads a running container's resource counters: its cgroup files (v1: one directory per
 * controller, v2: the unified one) found from /proc/<pid>/cgroup, the host's /proc/stat
 * and the container's /proc/<pid>/net/dev. A stream opens the files once and re-reads
 * them with pread at offset 0 (cgroupfs and procfs regenerate a file on every read from
 * its start), synchronously: these files answer from memory in microseconds, and a
 * synchronous read costs a fraction of a trip through libuv's thread pool. That is what
 * keeps 50 streaming containers cheap.
 */
export class CgroupReader {
  private readonly buf = Buffer.allocUnsafe(64 << 10);
  private procStat: { at: number; value: { systemUsage: bigint; onlineCpus: number } } | undefined;
  private procStatFd: number | undefined;

  constructor(
    readonly version: '1' | '2',
    private readonly root = '/sys/fs/cgroup',
    private readonly proc = '/proc',
  ) {}

  /** The cgroup directories of a process: by controller (v1), or '' → the unified dir (v2). */
  dirsOf(pid: number): Record<string, string> | undefined {
    const text = this.readPath(path.join(this.proc, String(pid), 'cgroup'));
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

  /** Opens a container's counter files (its init process `pid`); undefined when it is gone. */
  open(pid: number): CounterFiles | undefined {
    const dirs = this.dirsOf(pid);
    if (!dirs) return undefined;
    const fds = new Map<string, number>();
    const add = (name: string, p: string): void => {
      try {
        fds.set(name, fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      } catch {
        /* absent in this hierarchy */
      }
    };
    if (this.version === '2') {
      if (dirs['']) for (const f of V2_FILES) add(f, path.join(dirs[''], f));
    } else {
      for (const [ctl, names] of Object.entries(V1_FILES)) if (dirs[ctl]) for (const f of names) add(f, path.join(dirs[ctl], f));
    }
    add('net/dev', path.join(this.proc, String(pid), 'net/dev'));
    return new CounterFiles(this, fds);
  }

  /** One sample of a container's cgroup counters; undefined once its cgroup is gone. */
  sampleFiles(files: CgroupFiles, hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> | undefined {
    if (this.version === '2') {
      if (files['cpu.stat'] === undefined && files['memory.current'] === undefined) return undefined;
      return statsFromV2(files, hostMemory);
    }
    if (files['cpuacct.usage'] === undefined && files['memory.usage_in_bytes'] === undefined) return undefined;
    return statsFromV1(files, hostMemory);
  }

  /** The host's CPU time (shared by all requests for a few milliseconds: it is one file for all). */
  systemCpu(): { systemUsage: bigint; onlineCpus: number } {
    const now = performance.now();
    if (this.procStat && now - this.procStat.at < 20) return this.procStat.value;
    if (this.procStatFd === undefined) {
      try {
        this.procStatFd = fs.openSync(path.join(this.proc, 'stat'), fs.constants.O_RDONLY);
      } catch {
        return { systemUsage: 0n, onlineCpus: 0 };
      }
    }
    const value = parseProcStat(this.pread(this.procStatFd) ?? '');
    this.procStat = { at: now, value };
    return value;
  }

  /** Reads a whole small file from its start (pread at 0); undefined on error. */
  pread(fd: number): string | undefined {
    try {
      let n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
      if (n < this.buf.length) return this.buf.toString('latin1', 0, n);
      let text = this.buf.toString('latin1', 0, n);
      let pos = n;
      while ((n = fs.readSync(fd, this.buf, 0, this.buf.length, pos)) > 0) {
        text += this.buf.toString('latin1', 0, n);
        pos += n;
      }
      return text;
    } catch {
      return undefined;
    }
  }

  private readPath(p: string): string | undefined {
    let fd: number;
    try {
      fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      return this.pread(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A container's counter files, open for the life of a stats request. */
export class CounterFiles {
  constructor(
    private readonly reader: CgroupReader,
    private readonly fds: Map<string, number>,
  ) {}

  sample(hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> | undefined {
    const files: CgroupFiles = {};
    for (const [name, fd] of this.fds) if (name !== 'net/dev') files[name] = this.reader.pread(fd);
    return this.reader.sampleFiles(files, hostMemory);
  }

  networks(): Record<string, NetworkStats> | undefined {
    const fd = this.fds.get('net/dev');
    const text = fd === undefined ? undefined : this.reader.pread(fd);
    return text === undefined ? undefined : parseNetDev(text);
  }

  close(): void {
    for (const fd of this.fds.values()) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
    }
    this.fds.clear();
  }
}
