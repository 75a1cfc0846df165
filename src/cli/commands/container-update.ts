/** `berth update` / `berth container update` wiring: docker's flags, word for word. */
import type { CommandDef } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { lazyActions } from '../lazy.js';
import { parseBytes } from '../../lib/human.js';
import { parseCpus } from '../run-options.js';

const { updateAction } = lazyActions(() => import('../actions/container-update.js'));

function bytesComplaint(v: string): string | undefined {
  if (v === '-1') return undefined;
  try {
    parseBytes(v);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const updateFlags: FlagSpec[] = [
  {
    name: 'blkio-weight',
    kind: 'uint',
    typeName: 'uint16',
    usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
    validate: (v) => (/^\+?\d+$/.test(v.trim()) && Number(v) > 65535 ? `strconv.ParseUint: parsing "${v}": value out of range` : undefined),
  },
  { name: 'cpu-period', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', kind: 'int', usage: 'Limit the CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', kind: 'int', usage: 'Limit the CPU real-time runtime in microseconds' },
  { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'string', typeName: 'decimal', usage: 'Number of CPUs', validate: (v) => (parseCpus(v) === undefined ? `failed to parse ${v} as a rational number` : undefined) },
  { name: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'kernel-memory', kind: 'bytes', usage: 'Kernel memory limit (deprecated)', hidden: true },
  { name: 'memory', short: 'm', kind: 'bytes', usage: 'Memory limit' },
  { name: 'memory-reservation', kind: 'bytes', usage: 'Memory soft limit' },
  { name: 'memory-swap', kind: 'string', typeName: 'bytes', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', validate: bytesComplaint },
  { name: 'pids-limit', kind: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'restart', kind: 'string', usage: 'Restart policy to apply when a container exits' },
];

export const updateCommand: CommandDef = {
  name: 'update',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  aliasPaths: ['container update', 'update'],
  args: { min: 1 },
  flags: updateFlags,
  run: (ctx, inv) => {
    const f = inv.flags;
    const swap = f.string('memory-swap');
    const cpus = f.string('cpus');
    return updateAction(ctx, {
      containers: inv.args,
      flagCount: f.changed.size,
      blkioWeight: f.number('blkio-weight') ?? 0,
      cpuPeriod: f.number('cpu-period') ?? 0,
      cpuQuota: f.number('cpu-quota') ?? 0,
      cpuRealtimePeriod: f.number('cpu-rt-period') ?? 0,
      cpuRealtimeRuntime: f.number('cpu-rt-runtime') ?? 0,
      cpuShares: f.number('cpu-shares') ?? 0,
      cpusetCpus: f.string('cpuset-cpus'),
      cpusetMems: f.string('cpuset-mems'),
      nanoCpus: cpus === '' ? 0 : (parseCpus(cpus) ?? 0),
      memory: f.number('memory') ?? 0,
      memoryReservation: f.number('memory-reservation') ?? 0,
      memorySwap: swap === '' ? 0 : swap === '-1' ? -1 : parseBytes(swap),
      kernelMemory: f.number('kernel-memory') ?? 0,
      pidsLimit: f.number('pids-limit') ?? 0,
      restart: f.string('restart'),
    });
  },
};
