/**
 * `stats` rows as docker's CLI computes and prints them (cli/command/container/
 * stats_helpers.go and formatter_stats.go): CPU % from the two samples' deltas, memory
 * without the inactive page cache, go-units sizes.
 */
import { bytesSize, humanSizeWithPrecision } from '../../lib/human.js';
import { truncateId } from '../values.js';
import { headerRow, renderRows, structRow } from './formatter.js';

/** The parts of Docker's StatsJSON the CLI reads. */
export interface StatsJSONLike {
  name?: string;
  id?: string;
  cpu_stats?: CpuStatsLike;
  precpu_stats?: CpuStatsLike;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
  pids_stats?: { current?: number };
}

interface CpuStatsLike {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsEntry {
  /** What the user named (or the full ID when listing all). */
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  /** No (recent) sample: the columns show "--". */
  isInvalid: boolean;
}

export const defaultStatsTableFormat = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export function calculateCPUPercentUnix(previous: CpuStatsLike | undefined, current: CpuStatsLike | undefined): number {
  const cpuDelta = (current?.cpu_usage?.total_usage ?? 0) - (previous?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current?.system_cpu_usage ?? 0) - (previous?.system_cpu_usage ?? 0);
  let online = current?.online_cpus ?? 0;
  if (online === 0) online = current?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * online * 100;
  return 0;
}

/** Memory use without the inactive file cache: v1 `total_inactive_file`, v2 `inactive_file`. */
export function calculateMemUsageUnixNoCache(mem: StatsJSONLike['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  if ('total_inactive_file' in stats && stats.total_inactive_file < usage) return usage - stats.total_inactive_file;
  const v2 = stats.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function calculateMemPercentUnixNoCache(limit: number, used: number): number {
  return limit !== 0 ? (used / limit) * 100 : 0;
}

export function calculateBlockIO(blkio: StatsJSONLike['blkio_stats']): [number, number] {
  let read = 0;
  let write = 0;
  for (const e of blkio?.io_service_bytes_recursive ?? []) {
    const op = (e.op ?? '')[0];
    if (op === 'r' || op === 'R') read += e.value ?? 0;
    else if (op === 'w' || op === 'W') write += e.value ?? 0;
  }
  return [read, write];
}

export function calculateNetwork(networks: StatsJSONLike['networks']): [number, number] {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return [rx, tx];
}

/** One decoded sample → the row docker keeps for a container. */
export function statsEntryFrom(container: string, v: StatsJSONLike): StatsEntry {
  const memory = calculateMemUsageUnixNoCache(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  const [rx, tx] = calculateNetwork(v.networks);
  const [br, bw] = calculateBlockIO(v.blkio_stats);
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercentage: calculateCPUPercentUnix(v.precpu_stats, v.cpu_stats),
    memory,
    memoryLimit: limit,
    memoryPercentage: calculateMemPercentUnixNoCache(limit, memory),
    networkRx: rx,
    networkTx: tx,
    blockRead: br,
    blockWrite: bw,
    pidsCurrent: v.pids_stats?.current ?? 0,
    isInvalid: false,
  };
}

/** A row with no data (an error or a timeout). */
export function invalidEntry(e: StatsEntry): StatsEntry {
  return { ...e, cpuPercentage: 0, memory: 0, memoryLimit: 0, memoryPercentage: 0, networkRx: 0, networkTx: 0, blockRead: 0, blockWrite: 0, pidsCurrent: 0, isInvalid: true };
}

function formatPercentage(v: number): string {
  return `${v.toFixed(2)}%`;
}

/** docker's statsContext: every column as text (fields in the order its JSON marshals them). */
export function statsRow(e: StatsEntry, trunc: boolean): Record<string, unknown> {
  const name = e.name.replace(/^\//, '');
  return structRow('statsContext', {
    BlockIO: e.isInvalid ? '--' : `${humanSizeWithPrecision(e.blockRead, 3)} / ${humanSizeWithPrecision(e.blockWrite, 3)}`,
    CPUPerc: e.isInvalid ? '--' : formatPercentage(e.cpuPercentage),
    Container: e.container,
    ID: trunc ? truncateId(e.id) : e.id,
    MemPerc: e.isInvalid ? '--' : formatPercentage(e.memoryPercentage),
    MemUsage: e.isInvalid ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    Name: name || '--',
    NetIO: e.isInvalid ? '--' : `${humanSizeWithPrecision(e.networkRx, 3)} / ${humanSizeWithPrecision(e.networkTx, 3)}`,
    PIDs: e.isInvalid ? '--' : String(e.pidsCurrent),
  });
}

const header = headerRow({
  BlockIO: 'BLOCK I/O',
  CPUPerc: 'CPU %',
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  MemPerc: 'MEM %',
  MemUsage: 'MEM USAGE / LIMIT',
  Name: 'NAME',
  NetIO: 'NET I/O',
  PIDs: 'PIDS',
});

/** docker's NewStatsFormat + statsFormatWrite. */
export function renderStats(format: string, entries: StatsEntry[], trunc: boolean): string {
  const f = format === '' || format === 'table' ? defaultStatsTableFormat : format;
  return renderRows(f, entries.map((e) => statsRow(e, trunc)), header);
}
