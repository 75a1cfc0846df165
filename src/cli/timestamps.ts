/**
 * docker's timetypes.GetTimestamp: what the Go client sends for `--since` and
 * `--until` — a duration before now as Unix seconds, a date or RFC 3339 time as
 * "seconds.nanoseconds", a Unix timestamp as given — with Go's time.Parse errors.
 */
import { parseDuration } from './values.js';

/** Offset of the local zone from UTC at an instant, in minutes (east positive). */
export function localOffsetMinutes(ms: number): number {
  const off = -new Date(ms).getTimezoneOffset();
  return off === 0 ? 0 : off;
}

/** A --since/--until value the CLI cannot use; the message is docker's. */
export class TimestampError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimestampError';
  }
}

const quote = (s: string): string => JSON.stringify(s);

/** The layout elements GetTimestamp's layouts are made of, in Go's terms. */
type Elem = { lit: string } | { std: '2006' | '01' | '02' | '15' | '04' | '05' | '.999999999' | 'Z07:00' };

function layoutElems(layout: string): Elem[] {
  const stds = ['2006', '01', '02', '15', '04', '05', '.999999999', 'Z07:00'] as const;
  const out: Elem[] = [];
  let lit = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const s of stds) {
      if (layout.startsWith(s, i)) {
        if (lit) out.push({ lit });
        lit = '';
        out.push({ std: s });
        i += s.length;
        continue outer;
      }
    }
    lit += layout[i++];
  }
  if (lit) out.push({ lit });
  return out;
}

const isDigit = (s: string, i: number): boolean => i < s.length && s[i] >= '0' && s[i] <= '9';

/** Go's getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Go's time.Parse / ParseInLocation for the layouts GetTimestamp uses: returns Unix
 * seconds and nanoseconds, or throws Go's ParseError text.
 */
export function goParseTime(layout: string, value: string, local: boolean): [number, number] {
  const fail = (elem: string, rest: string, message = ''): never => {
    throw new TimestampError(message ? `parsing time ${quote(value)}${message}` : `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`);
  };
  let v = value;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let zoneMin: number | undefined;
  const elems = layoutElems(layout);
  const fraction = (): void => {
    let n = 1;
    while (isDigit(v, n)) n++;
    nsec = Number(v.slice(1, Math.min(n, 10)).padEnd(9, '0'));
    v = v.slice(n);
  };
  for (let k = 0; k < elems.length; k++) {
    const e = elems[k];
    if ('lit' in e) {
      for (const ch of e.lit) {
        if (v.length === 0 || v[0] !== ch) fail(e.lit, v);
        v = v.slice(1);
      }
      continue;
    }
    const hold = v;
    let range = '';
    let bad = false;
    switch (e.std) {
      case '2006':
        if (v.length < 4 || !/^[0-9]{4}/.test(v)) bad = true;
        else {
          year = Number(v.slice(0, 4));
          v = v.slice(4);
        }
        break;
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const r = getnum(v, e.std !== '15');
        if (!r) {
          bad = true;
          break;
        }
        [, v] = r;
        const n = r[0];
        if (e.std === '01') {
          month = n;
          if (n <= 0 || n > 12) range = 'month';
        } else if (e.std === '02') day = n;
        else if (e.std === '15') {
          hour = n;
          if (n >= 24) range = 'hour';
        } else if (e.std === '04') {
          min = n;
          if (n >= 60) range = 'minute';
        } else {
          sec = n;
          if (n >= 60) range = 'second';
          // A fraction the layout does not name is still read.
          else if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) {
            const next = elems[k + 1];
            if (!(next && 'std' in next && next.std === '.999999999')) fraction();
          }
        }
        break;
      }
      case '.999999999':
        if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) fraction();
        break;
      case 'Z07:00':
        if (v[0] === 'Z') {
          v = v.slice(1);
          zoneMin = 0;
          break;
        }
        if (v.length < 6 || v[3] !== ':' || (v[0] !== '+' && v[0] !== '-')) {
          bad = true;
          break;
        }
        {
          const hh = getnum(v.slice(1, 3), true);
          const mm = getnum(v.slice(4, 6), true);
          if (!hh || !mm) {
            bad = true;
            break;
          }
          if (hh[0] > 24) range = 'time zone offset hour';
          if (mm[0] > 60) range = 'time zone offset minute';
          zoneMin = (v[0] === '-' ? -1 : 1) * (hh[0] * 60 + mm[0]);
          v = v.slice(6);
        }
        break;
    }
    if (range) fail(e.std, v, `: ${range} out of range`);
    if (bad) fail(e.std, hold);
  }
  if (v.length > 0) fail('', v, `: extra text: ${quote(v)}`);
  if (day < 1 || day > daysIn(month, year)) fail('', v, ': day out of range');
  const wall = Date.UTC(year, month - 1, day, hour, min, sec);
  // No zone in the value: the local zone (GetTimestamp's FixedZone of now, near enough).
  const offset = zoneMin ?? (local ? localOffsetMinutes(wall - localOffsetMinutes(wall) * 60_000) : 0);
  return [Math.floor((wall - offset * 60_000) / 1000), nsec];
}

/** timetypes.GetTimestamp(value, now). */
export function getTimestamp(value: string, now: Date): string {
  const ns = value !== '0' ? parseDuration(value) : undefined;
  if (ns !== undefined) return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
  const inLocation = !/[zZ+]/.test(value) && value.split('-').length - 1 !== 3;
  let layout: string;
  if (value.includes('.')) layout = inLocation ? '2006-01-02T15:04:05.999999999' : '2006-01-02T15:04:05.999999999Z07:00';
  else if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    if (inLocation) layout = colons === 0 ? '2006-01-02T15' : colons === 1 ? '2006-01-02T15:04' : '2006-01-02T15:04:05';
    else layout = colons === 0 ? '2006-01-02T15Z07:00' : colons === 1 ? '2006-01-02T15:04Z07:00' : '2006-01-02T15:04:05Z07:00';
  } else layout = inLocation ? '2006-01-02' : '2006-01-02Z07:00';
  try {
    const [s, n] = goParseTime(layout, value, inLocation);
    return `${s}.${String(n).padStart(9, '0')}`;
  } catch (e) {
    if (value.includes('-')) throw e;
  }
  // A Unix timestamp ("1700000000" or "1700000000.5") goes to the daemon as it is.
  if (!/^[+-]?\d+(\.[+-]?\d+)?$/.test(value)) throw new TimestampError(`failed to parse value as time or duration: ${quote(value)}`);
  return value;
}
