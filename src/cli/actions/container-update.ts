/** `update`: new resource limits and restart policy for running or stopped containers. */
import { StatusError, type CliContext } from '../command.js';
import { errorText, out } from './common.js';

export interface UpdateOptions {
  containers: string[];
  /** How many flags were given: none is an error, as for docker. */
  flagCount: number;
  blkioWeight: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpuRealtimePeriod: number;
  cpuRealtimeRuntime: number;
  cpuShares: number;
  cpusetCpus: string;
  cpusetMems: string;
  /** Nano CPUs from --cpus (0: not given). */
  nanoCpus: number;
  memory: number;
  memoryReservation: number;
  /** -1 for unlimited, 0 when not given. */
  memorySwap: number;
  kernelMemory: number;
  /** 0 when not given (docker sends no PidsLimit then). */
  pidsLimit: number;
  restart: string;
}

/**
 * docker 28's opts.ParseRestartPolicy: only the form is checked here ("name[:count]");
 * the daemon judges the name.
 */
export function parseUpdateRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && name === '') throw new StatusError(1, 'invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new StatusError(1, 'invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** The POST /containers/{id}/update body the Go client sends: zero values mean "unchanged". */
export function updateBody(o: UpdateOptions): Record<string, unknown> {
  return {
    BlkioWeight: o.blkioWeight,
    CpuShares: o.cpuShares,
    Memory: o.memory,
    NanoCpus: o.nanoCpus,
    CpuPeriod: o.cpuPeriod,
    CpuQuota: o.cpuQuota,
    CpuRealtimePeriod: o.cpuRealtimePeriod,
    CpuRealtimeRuntime: o.cpuRealtimeRuntime,
    CpusetCpus: o.cpusetCpus,
    CpusetMems: o.cpusetMems,
    KernelMemory: o.kernelMemory,
    MemoryReservation: o.memoryReservation,
    MemorySwap: o.memorySwap,
    PidsLimit: o.pidsLimit !== 0 ? o.pidsLimit : null,
    RestartPolicy: o.restart !== '' ? parseUpdateRestartPolicy(o.restart) : { Name: '', MaximumRetryCount: 0 },
  };
}

/**
 * docker's runUpdate: one container after the other, each name printed once updated,
 * the daemon's warnings after them, the failures together at the end (exit 1).
 */
export async function updateAction(ctx: CliContext, o: UpdateOptions): Promise<void> {
  if (o.flagCount === 0) throw new StatusError(1, 'you must provide one or more flags when using this command');
  const body = updateBody(o);
  const client = ctx.client();
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const c of o.containers) {
    try {
      const r = await client.containerUpdate(c, body);
      out(ctx, `${c}\n`);
      warnings.push(...(r?.Warnings ?? []));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (warnings.length > 0) out(ctx, `${warnings.join('\n')}\n`);
  if (errors.length > 0) throw new StatusError(1, errors.join('\n'));
}
