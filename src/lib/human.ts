/**
 * Docker's go-units helpers (HumanDuration, HumanSize, BytesSize, RAMInBytes) and the
 * `docker ps` STATUS text built from them. Outputs match the Go code, including its
 * rounding and thresholds.
 */
import { InvalidParameterError } from './errors.js';
import { formatFloat } from './go-float.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * go-units HumanDuration for a duration in milliseconds. Seconds and minutes are
 * truncated, hours are rounded (int(d.Hours() + 0.5)), years truncated again.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (!(seconds >= 1)) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / HOUR + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

/**
 * Parses a Docker timestamp (RFC 3339 with up to nanoseconds), a Date, or epoch ms.
 * Sub-millisecond digits are dropped because Date cannot hold them.
 */
export function toEpochMs(date: Date | string | number): number {
  if (date instanceof Date) return date.getTime();
  if (typeof date === 'number') return date;
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(date);
  if (m && m[2] && m[2].length > 4) return Date.parse(m[1] + m[2].slice(0, 4) + m[3]);
  return Date.parse(date);
}

/** "2 minutes ago", as Docker prints CREATED columns. */
export function timeAgo(date: Date | string | number, now: number = Date.now()): string {
  return `${humanDuration(now - toEpochMs(date))} ago`;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, `%.<precision>g`. */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL_UNITS);
  // fmt's %.<precision>g is strconv's 'g' format at that precision.
  return formatFloat(size, 'g', precision) + unit;
}

/** go-units HumanSize: "1.23MB", "4.86kB", "0B" (decimal units, 4 significant digits). */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** go-units BytesSize: binary units, "1.5MiB", "512KiB". */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, BINARY_UNITS);
  return formatFloat(size, 'g', 4) + unit;
}

const BINARY_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** Go's strconv.ParseFloat for the decimal forms go-units can hand it. */
function parseGoFloat(s: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    throw new InvalidParameterError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const v = Number(s);
  if (!Number.isFinite(v)) {
    throw new InvalidParameterError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return v;
}

/**
 * go-units RAMInBytes: "32m", "1g", "512k", "1.5G", "100b", "10 MiB", plain numbers;
 * case-insensitive, binary multiples, fractions truncated toward zero.
 * Errors carry go-units' wording ("invalid size: 'x'", "invalid suffix: 'x'").
 */
export function parseBytes(s: string): number {
  let num: string;
  let sfx: string;
  const space = s.indexOf(' ');
  if (space >= 0) {
    num = s.slice(0, space);
    sfx = s.slice(space + 1);
  } else {
    let sep = -1;
    for (let i = s.length - 1; i >= 0; i--) {
      if ('0123456789.'.includes(s[i])) {
        sep = i;
        break;
      }
    }
    if (sep === -1) throw new InvalidParameterError(`invalid size: '${s}'`);
    num = s.slice(0, sep + 1);
    sfx = s.slice(sep + 1);
  }
  let size = parseGoFloat(num);
  if (size < 0) throw new InvalidParameterError(`invalid size: '${s}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const badSuffix = (x: string): never => {
    throw new InvalidParameterError(`invalid suffix: '${x}'`);
  };
  if (sfx.length > 3) badSuffix(sfx);
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) badSuffix(sfx);
    return Math.trunc(size);
  }
  const mul = BINARY_MULTIPLIERS[sfx[0]];
  if (mul === undefined) badSuffix(sfx);
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) badSuffix(sfx);
  return Math.trunc(size);
}

export interface ContainerStateLike {
  Status: string;
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  Dead?: boolean;
  ExitCode?: number;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: { Status: string } | null;
}

/** Docker writes unset times as Go's zero time, 0001-01-01T00:00:00Z. */
function isZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith('0001-01-01T00:00:00');
}

/**
 * The `docker ps` STATUS column, as moby's State.String() builds it: "Up 2 minutes
 * (healthy)", "Exited (0) 14 seconds ago", "Restarting (1) 5 seconds ago", "Created"...
 * Flags missing from `state` are derived from `Status`.
 */
export function containerStatusText(state: ContainerStateLike, now: number = Date.now()): string {
  const status = state.Status;
  const running = state.Running ?? ['running', 'paused', 'restarting'].includes(status);
  const exitCode = state.ExitCode ?? 0;
  const since = (t: string | undefined): string => humanDuration(now - toEpochMs(t ?? ''));
  if (running) {
    if (state.Paused ?? status === 'paused') return `Up ${since(state.StartedAt)} (Paused)`;
    if (state.Restarting ?? status === 'restarting') {
      return `Restarting (${exitCode}) ${since(state.FinishedAt)} ago`;
    }
    if (state.Health) {
      const h = state.Health.Status === 'starting' ? 'health: starting' : state.Health.Status;
      return `Up ${since(state.StartedAt)} (${h})`;
    }
    return `Up ${since(state.StartedAt)}`;
  }
  if (status === 'removing') return 'Removal In Progress';
  if (state.Dead ?? status === 'dead') return 'Dead';
  if (isZeroTime(state.StartedAt)) return 'Created';
  if (isZeroTime(state.FinishedAt)) return '';
  return `Exited (${exitCode}) ${since(state.FinishedAt)} ago`;
}
