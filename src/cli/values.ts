/** Small value parsers the CLI's flags need, with Go's semantics. */

const unitNs: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration ("1m30s", "500ms", "-1.5h", "0"), in nanoseconds. */
export function parseDuration(s: string): number | undefined {
  let str = s.trim();
  if (str === '') return undefined;
  let sign = 1;
  if (str[0] === '-' || str[0] === '+') {
    if (str[0] === '-') sign = -1;
    str = str.slice(1);
  }
  if (str === '0') return 0;
  if (str === '') return undefined;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (str.length > 0) {
    const m = re.exec(str);
    if (!m) return undefined;
    total += Number(m[1]) * unitNs[m[2]];
    str = str.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/**
 * Truncates to a display width, ending with "…" (docker's formatter.Ellipsis; East
 * Asian wide characters count two columns).
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  if (max === 1) return chars[0] ?? '';
  const widths = chars.map(charWidth);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total <= max) return s;
  let w = 0;
  let i = 0;
  while (i < chars.length && w + widths[i] <= max - 1) {
    w += widths[i];
    i++;
  }
  return chars.slice(0, i).join('') + '…';
}

function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!;
  // East Asian Wide and Fullwidth ranges (the common blocks).
  if (
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** docker's stringid.TruncateID: drops an algorithm prefix, keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/**
 * Go's time.Time.String() for a Unix time, in the local zone:
 * "2006-01-02 15:04:05 -0700 MST" (the zone name as the system abbreviates it).
 */
export function goTimeString(unixSeconds: number, tz?: string): string {
  const d = new Date(unixSeconds * 1000);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  });
  const parts = Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]));
  const hour = parts.hour === '24' ? '00' : parts.hour;
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((local - Math.floor(unixSeconds) * 1000) / 60000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  let zone = parts.timeZoneName ?? '';
  if (!zone || /^GMT[+-]/.test(zone)) zone = off.slice(0, 3) + (abs % 60 ? off.slice(3) : '');
  if (zone === 'GMT' && offsetMin === 0) zone = 'UTC';
  return `${parts.year}-${parts.month}-${parts.day} ${hour}:${parts.minute}:${parts.second} ${off} ${zone}`;
}
