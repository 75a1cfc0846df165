import { InvalidParameterError } from '../../lib/errors.js';
import { ULIMIT_ROWS } from '../../drivers/sys/host-limits.js';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export function validateUlimits(ulimits: Ulimit[] | null | undefined): void {
  for (const u of ulimits ?? []) {
    if (!(u.Name in ULIMIT_ROWS)) throw new InvalidParameterError(`invalid ulimit type: ${u.Name}`);
    if (!Number.isInteger(u.Soft) || !Number.isInteger(u.Hard) || u.Soft < -1 || u.Hard < -1) {
      throw new InvalidParameterError(`invalid ulimit value for ${u.Name}: ${u.Soft}:${u.Hard}`);
    }
    if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard)) {
      throw new InvalidParameterError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    }
  }
}

/**
 * Clamps requested ulimits to what this daemon may set: without CAP_SYS_RESOURCE a limit
 * cannot go above the daemon's own hard limit, and runc would fail the start.
 */
export function clampUlimits(ulimits: Ulimit[] | null | undefined, hostHard: Record<string, number>): {
  rlimits: { type: string; hard: number; soft: number }[];
  warnings: string[];
} {
  const rlimits: { type: string; hard: number; soft: number }[] = [];
  const warnings: string[] = [];
  const max = 2 ** 64 - 1;
  for (const u of ulimits ?? []) {
    const limit = hostHard[u.Name] ?? Infinity;
    let hard = u.Hard === -1 ? Infinity : u.Hard;
    let soft = u.Soft === -1 ? Infinity : u.Soft;
    if (hard > limit) {
      warnings.push(`Ulimit ${u.Name}=${u.Soft}:${u.Hard} is above what this host allows; clamped to ${Number.isFinite(limit) ? limit : 'unlimited'}`);
      hard = limit;
      soft = Math.min(soft, hard);
    }
    rlimits.push({ type: 'RLIMIT_' + u.Name.toUpperCase(), hard: Number.isFinite(hard) ? hard : max, soft: Number.isFinite(soft) ? soft : max });
  }
  return { rlimits, warnings };
}
