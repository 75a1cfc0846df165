import { InvalidParameterError } from '../../lib/errors.js';
import { constants } from 'node:os';

const sigs = constants.signals as Record<string, number>;

/** "TERM", "SIGTERM", "15" → "SIGTERM"; Docker's error for anything else. */
export function parseSignal(s: string | undefined, dflt = 'SIGKILL'): string {
  if (!s) return dflt;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(sigs).find((k) => sigs[k] === n);
    if (!name || n === 0) throw new InvalidParameterError(`Invalid signal: ${s}`);
    return name;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : 'SIG' + up;
  if (!(name in sigs)) throw new InvalidParameterError(`Invalid signal: ${s}`);
  return name;
}

export function signalNumber(name: string): number {
  return sigs[name] ?? 0;
}
