import { promises as fsp } from 'node:fs';

/** Docker's ulimit names and the row of /proc/<pid>/limits each one is. */
export const ULIMIT_ROWS: Record<string, string> = {
  core: 'Max core file size',
  cpu: 'Max cpu time',
  data: 'Max data size',
  fsize: 'Max file size',
  locks: 'Max file locks',
  memlock: 'Max locked memory',
  msgqueue: 'Max msgqueue size',
  nice: 'Max nice priority',
  nofile: 'Max open files',
  nproc: 'Max processes',
  rss: 'Max resident set',
  rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals',
  stack: 'Max stack size',
  as: 'Max address space',
};

/** Parses /proc/<pid>/limits into hard limits by Docker name ("unlimited" → Infinity). */
export function parseProcLimits(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, row] of Object.entries(ULIMIT_ROWS)) {
    const line = text.split('\n').find((l) => l.startsWith(row + ' '));
    if (!line) continue;
    const fields = line.slice(row.length).trim().split(/\s+/);
    out[name] = fields[1] === 'unlimited' ? Infinity : Number(fields[1]);
  }
  return out;
}

let cached: Record<string, number> | undefined;

/** The daemon's own hard resource limits (what containers may be given at most). */
export async function hostHardLimits(): Promise<Record<string, number>> {
  cached ??= parseProcLimits(await fsp.readFile('/proc/self/limits', 'utf8'));
  return cached;
}
