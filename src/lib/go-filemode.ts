/**
 * Go's os.FileMode bit layout, which the Docker API uses in `X-Docker-Container-Path-Stat`
 * (`mode`): the type bits live at the top of a uint32, not where Unix puts them.
 * Arithmetic only: these values do not fit JavaScript's signed 32-bit bitwise operators.
 */
export const GoMode = {
  Dir: 2 ** 31,
  Append: 2 ** 30,
  Exclusive: 2 ** 29,
  Temporary: 2 ** 28,
  Symlink: 2 ** 27,
  Device: 2 ** 26,
  NamedPipe: 2 ** 25,
  Socket: 2 ** 24,
  Setuid: 2 ** 23,
  Setgid: 2 ** 22,
  CharDevice: 2 ** 21,
  Sticky: 2 ** 20,
  Irregular: 2 ** 19,
} as const;

const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFBLK = 0o060000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

/** Unix st_mode → Go FileMode (what Go's os.Lstat reports). */
export function goFileMode(stMode: number): number {
  let m = stMode & 0o777;
  switch (stMode & S_IFMT) {
    case S_IFBLK:
      m += GoMode.Device;
      break;
    case S_IFCHR:
      m += GoMode.Device + GoMode.CharDevice;
      break;
    case S_IFDIR:
      m += GoMode.Dir;
      break;
    case S_IFIFO:
      m += GoMode.NamedPipe;
      break;
    case S_IFLNK:
      m += GoMode.Symlink;
      break;
    case S_IFSOCK:
      m += GoMode.Socket;
      break;
    case S_IFREG:
      break;
    default:
      m += GoMode.Irregular;
  }
  if (stMode & 0o4000) m += GoMode.Setuid;
  if (stMode & 0o2000) m += GoMode.Setgid;
  if (stMode & 0o1000) m += GoMode.Sticky;
  return m;
}

/** Does a Go FileMode have this bit? */
export function hasGoBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

export function goModeIsDir(mode: number): boolean {
  return hasGoBit(mode, GoMode.Dir);
}

/** Go FileMode → Unix st_mode (type and permission bits). */
export function unixModeFromGo(mode: number): number {
  let t = S_IFREG;
  if (hasGoBit(mode, GoMode.Dir)) t = S_IFDIR;
  else if (hasGoBit(mode, GoMode.Symlink)) t = S_IFLNK;
  else if (hasGoBit(mode, GoMode.NamedPipe)) t = S_IFIFO;
  else if (hasGoBit(mode, GoMode.Socket)) t = S_IFSOCK;
  else if (hasGoBit(mode, GoMode.Device)) t = hasGoBit(mode, GoMode.CharDevice) ? S_IFCHR : S_IFBLK;
  let m = t + (mode % 0o1000);
  if (hasGoBit(mode, GoMode.Setuid)) m += 0o4000;
  if (hasGoBit(mode, GoMode.Setgid)) m += 0o2000;
  if (hasGoBit(mode, GoMode.Sticky)) m += 0o1000;
  return m;
}

/**
 * Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped) in UTC,
 * from nanoseconds since the epoch.
 */
export function rfc3339Nano(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) frac += 1_000_000_000n;
  const base = new Date(Number(sec - (ns < 0n && frac > 0n ? 1n : 0n)) * 1000).toISOString().slice(0, 19);
  const digits = frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${digits}Z`;
}
