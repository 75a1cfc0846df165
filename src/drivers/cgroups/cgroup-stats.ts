/**
 * Docker's container stats (GET /containers/{id}/stats) from cgroup files, v1 and v2, the
 * way containerd's cgroups library reads them and dockerd converts them
 * (daemon/stats_unix.go). Pure: the reader hands over file contents; counters stay
 * bigints (cgroup v1 limits exceed 2^53) and are encoded exactly by encodeStats.
 */

export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}

export interface CpuStats {
  cpu_usage: { total_usage: bigint; percpu_usage?: bigint[]; usage_in_kernelmode: bigint; usage_in_usermode: bigint };
  system_cpu_usage?: bigint;
  online_cpus?: number;
  throttling_data: { periods: bigint; throttled_periods: bigint; throttled_time: bigint };
}

export interface MemoryStats {
  usage?: bigint;
  max_usage?: bigint;
  stats?: Record<string, bigint>;
  failcnt?: bigint;
  limit?: bigint;
}

export interface NetworkStats {
  rx_bytes: bigint;
  rx_packets: bigint;
  rx_errors: bigint;
  rx_dropped: bigint;
  tx_bytes: bigint;
  tx_packets: bigint;
  tx_errors: bigint;
  tx_dropped: bigint;
}

export const BLKIO_KEYS = [
  'io_service_bytes_recursive',
  'io_serviced_recursive',
  'io_queue_recursive',
  'io_service_time_recursive',
  'io_wait_time_recursive',
  'io_merged_recursive',
  'io_time_recursive',
  'sectors_recursive',
] as const;

export type BlkioStats = Record<(typeof BLKIO_KEYS)[number], BlkioEntry[] | null>;

/** One stats sample: everything but the identity and the previous sample. */
export interface StatsSample {
  read: string;
  pids_stats: { current?: bigint; limit?: bigint };
  blkio_stats: BlkioStats;
  cpu_stats: CpuStats;
  memory_stats: MemoryStats;
  networks?: Record<string, NetworkStats>;
}

/** The full StatsJSON Docker sends (field order as dockerd's). */
export interface StatsJSON extends StatsSample {
  preread: string;
  precpu_stats: CpuStats;
  name: string;
  id: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** File contents by name ("cpuacct.usage", "memory.stat", ...); undefined when absent. */
export type CgroupFiles = Record<string, string | undefined>;

/** Files read for cgroup v1, by controller. */
export const V1_FILES: Record<string, string[]> = {
  cpuacct: ['cpuacct.usage', 'cpuacct.usage_percpu', 'cpuacct.stat'],
  cpu: ['cpu.stat'],
  memory: ['memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes', 'memory.failcnt', 'memory.stat'],
  pids: ['pids.current', 'pids.max'],
  blkio: ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_serviced_recursive'],
};

/** Files read for cgroup v2 (one directory). */
export const V2_FILES = ['cpu.stat', 'memory.current', 'memory.max', 'memory.stat', 'memory.events', 'pids.current', 'pids.max', 'io.stat'];

const USER_HZ = 100n;
const NS = 1_000_000_000n;

/** Go's omitempty: a zero counter is left out. */
function nz(v: bigint | undefined): bigint | undefined {
  return v === 0n ? undefined : v;
}

function num(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (!/^\d+$/.test(t)) return undefined;
  return BigInt(t);
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events). */
export function keyValues(s: string | undefined): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of (s ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, BigInt(v));
  }
  return m;
}

/** blkio "MAJ:MIN Op value" lines; "Total N" lines are skipped, as containerd does. */
export function parseBlkio(s: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (s ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [maj, min] = f[0].split(':');
    if (!/^\d+$/.test(maj ?? '') || !/^\d+$/.test(min ?? '') || !/^\d+$/.test(f[2])) continue;
    out.push({ major: BigInt(maj), minor: BigInt(min), op: f[1], value: BigInt(f[2]) });
  }
  return out;
}

function emptyBlkio(fill: BlkioEntry[] | null): BlkioStats {
  return Object.fromEntries(BLKIO_KEYS.map((k) => [k, fill === null ? null : [...fill]])) as BlkioStats;
}

function emptyCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0n, usage_in_kernelmode: 0n, usage_in_usermode: 0n }, throttling_data: { periods: 0n, throttled_periods: 0n, throttled_time: 0n } };
}

/** cgroup v1: `files` keyed by file name (each controller's directory read by the caller). */
export function statsFromV1(files: CgroupFiles, hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> {
  const acct = keyValues(files['cpuacct.stat']);
  const cpuStat = keyValues(files['cpu.stat']);
  const percpu = (files['cpuacct.usage_percpu'] ?? '').trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).map((x) => BigInt(x));
  const cpu: CpuStats = {
    cpu_usage: {
      total_usage: num(files['cpuacct.usage']) ?? 0n,
      ...(percpu.length ? { percpu_usage: percpu } : {}),
      usage_in_kernelmode: ((acct.get('system') ?? 0n) * NS) / USER_HZ,
      usage_in_usermode: ((acct.get('user') ?? 0n) * NS) / USER_HZ,
    },
    throttling_data: {
      periods: cpuStat.get('nr_periods') ?? 0n,
      throttled_periods: cpuStat.get('nr_throttled') ?? 0n,
      throttled_time: cpuStat.get('throttled_time') ?? 0n,
    },
  };
  const raw = keyValues(files['memory.stat']);
  const stats: Record<string, bigint> = {};
  for (const k of [
    'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
    'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
    'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
    'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
    'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
  ]) {
    stats[k] = raw.get(k) ?? 0n;
  }
  const memory: MemoryStats = {};
  if (files['memory.stat'] !== undefined || files['memory.usage_in_bytes'] !== undefined) {
    let limit = num(files['memory.limit_in_bytes']) ?? 0n;
    // No limit: the host's memory, as dockerd reports.
    if (hostMemory > 0n && limit > hostMemory) limit = hostMemory;
    Object.assign(memory, {
      usage: nz(num(files['memory.usage_in_bytes'])),
      max_usage: nz(num(files['memory.max_usage_in_bytes'])),
      stats,
      failcnt: nz(num(files['memory.failcnt'])),
      limit: nz(limit),
    });
  }
  return {
    pids_stats: { current: nz(num(files['pids.current'])), limit: nz(num(files['pids.max'])) },
    blkio_stats: {
      ...emptyBlkio([]),
      io_service_bytes_recursive: parseBlkio(files['blkio.throttle.io_service_bytes_recursive']),
      io_serviced_recursive: parseBlkio(files['blkio.throttle.io_serviced_recursive']),
    },
    cpu_stats: cpu,
    memory_stats: memory,
  };
}

/** cgroup v2: the files of the container's one directory. */
export function statsFromV2(files: CgroupFiles, hostMemory: bigint): Omit<StatsSample, 'read' | 'networks'> {
  const cpuStat = keyValues(files['cpu.stat']);
  const us = (k: string): bigint => (cpuStat.get(k) ?? 0n) * 1000n;
  const cpu: CpuStats = {
    cpu_usage: { total_usage: us('usage_usec'), usage_in_kernelmode: us('system_usec'), usage_in_usermode: us('user_usec') },
    throttling_data: { periods: cpuStat.get('nr_periods') ?? 0n, throttled_periods: cpuStat.get('nr_throttled') ?? 0n, throttled_time: us('throttled_usec') },
  };
  const raw = keyValues(files['memory.stat']);
  const stats: Record<string, bigint> = {};
  for (const k of [
    'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
    'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
    'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
    'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
  ]) {
    stats[k] = raw.get(k) ?? 0n;
  }
  const memory: MemoryStats = {};
  if (files['memory.current'] !== undefined) {
    let limit = num(files['memory.max']) ?? (hostMemory > 0n ? hostMemory : 0n);
    if (hostMemory > 0n && limit > hostMemory) limit = hostMemory;
    memory.usage = nz(num(files['memory.current']));
    memory.stats = stats;
    memory.limit = nz(limit);
    const oom = keyValues(files['memory.events']).get('oom');
    if (oom) memory.failcnt = oom;
  }
  let io: BlkioEntry[] | null = null;
  for (const line of (files['io.stat'] ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const kv = new Map(f.slice(1).map((x) => x.split('=') as [string, string]));
    io ??= [];
    io.push(
      { major: BigInt(dev[1]), minor: BigInt(dev[2]), op: 'read', value: BigInt(kv.get('rbytes') ?? '0') },
      { major: BigInt(dev[1]), minor: BigInt(dev[2]), op: 'write', value: BigInt(kv.get('wbytes') ?? '0') },
    );
  }
  return {
    pids_stats: { current: nz(num(files['pids.current'])), limit: nz(num(files['pids.max'])) },
    blkio_stats: { ...emptyBlkio(null), io_service_bytes_recursive: io },
    cpu_stats: cpu,
    memory_stats: memory,
  };
}

/** /proc/stat: the host's CPU time in ns (dockerd's getSystemCPUUsage) and the number of CPUs. */
export function parseProcStat(text: string): { systemUsage: bigint; onlineCpus: number } {
  let systemUsage = 0n;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break;
    if (line[3] === ' ') {
      const f = line.trim().split(/\s+/).slice(1, 8);
      let ticks = 0n;
      for (const v of f) ticks += BigInt(v);
      systemUsage = (ticks * NS) / USER_HZ;
    } else if (line[3] >= '0' && line[3] <= '9') onlineCpus++;
  }
  return { systemUsage, onlineCpus };
}

/** /proc/<pid>/net/dev of the container: its interfaces but loopback. */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (!name || name === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map((x) => BigInt(/^\d+$/.test(x) ? x : '0'));
    out[name] = {
      rx_bytes: f[0] ?? 0n,
      rx_packets: f[1] ?? 0n,
      rx_errors: f[2] ?? 0n,
      rx_dropped: f[3] ?? 0n,
      tx_bytes: f[8] ?? 0n,
      tx_packets: f[9] ?? 0n,
      tx_errors: f[10] ?? 0n,
      tx_dropped: f[11] ?? 0n,
    };
  }
  return out;
}

/** The stats of a container that is not running (dockerd's zero StatsResponse). */
export function zeroStats(id: string, name: string): StatsJSON {
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: emptyBlkio(null),
    cpu_stats: emptyCpu(),
    precpu_stats: emptyCpu(),
    memory_stats: {},
    name,
    id,
  };
}

export { emptyCpu };

/** JSON with bigints as exact numbers; undefined fields dropped (Go's omitempty for what dockerd omits). */
export function encodeStats(s: StatsJSON): string {
  const ordered = {
    read: s.read,
    preread: s.preread,
    pids_stats: s.pids_stats,
    blkio_stats: s.blkio_stats,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: s.cpu_stats,
    precpu_stats: s.precpu_stats,
    memory_stats: s.memory_stats,
    name: s.name,
    id: s.id,
    ...(s.networks && Object.keys(s.networks).length ? { networks: s.networks } : {}),
  };
  return encode(ordered);
}

function encode(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[' + v.map(encode).join(',') + ']';
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      parts.push(JSON.stringify(k) + ':' + encode(x));
    }
    return '{' + parts.join(',') + '}';
  }
  return JSON.stringify(v);
}
