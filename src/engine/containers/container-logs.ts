import { promises as fsp, watch } from 'node:fs';
import { InvalidParameterError, isErrno } from '../../lib/errors.js';

/** One record of conmon's k8s-file log: `TIMESTAMP stdout|stderr P|F content`. */
export interface LogRecord {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  /** RFC3339Nano in UTC, as Docker prints timestamps. */
  time: string;
  stream: 1 | 2;
  partial: boolean;
  content: Buffer;
}

/** Parses one log line (without its trailing newline); undefined for a line that is not a record. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
  if (s3 < 0 && s2 < 0) return undefined;
  const ts = line.subarray(0, s1).toString();
  const stream = line.subarray(s1 + 1, s2).toString();
  const flag = s3 < 0 ? line.subarray(s2 + 1).toString() : line.subarray(s2 + 1, s3).toString();
  const content = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const t = parseTimestamp(ts);
  if (t === undefined || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  return { timeNs: t.ns, time: t.utc, stream: stream === 'stderr' ? 2 : 1, partial: flag === 'P', content };
}

/** The last whole second parsed: a log's records mostly share it, and Date.parse is what costs. */
const lastSecond = { key: '', ms: 0, utc: '' };

/** "2024-05-01T12:00:00.123456789+02:00" → ns since epoch and the UTC RFC3339Nano form. */
export function parseTimestamp(ts: string): { ns: bigint; utc: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const key = m[1] + m[3];
  if (key !== lastSecond.key) {
    const ms = Date.parse(key);
    if (Number.isNaN(ms)) return undefined;
    lastSecond.key = key;
    lastSecond.ms = ms;
    lastSecond.utc = new Date(ms).toISOString().slice(0, 19);
  }
  const frac = (m[2] ?? '').padEnd(9, '0');
  const ns = BigInt(lastSecond.ms) * 1_000_000n + BigInt(frac);
  return { ns, utc: lastSecond.utc + '.' + frac + 'Z' };
}

/** Docker's `since`/`until`: unix seconds with optional fraction, or an RFC3339 date, or a duration ago ("10m"). */
export function parseTimeParam(v: string | null, now = Date.now()): bigint | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  let m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (m) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
    return BigInt(Math.round(now - Number(m[1]) * mult[m[2]])) * 1_000_000n;
  }
  const ts = parseTimestamp(v.includes('T') ? (/[Zz]|[+-]\d\d:\d\d$/.test(v) ? v : v + 'Z') : v + 'T00:00:00Z');
  if (ts) return ts.ns;
  throw new InvalidParameterError(`invalid time value: ${v}`);
}

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  since?: bigint;
  until?: bigint;
  timestamps: boolean;
  /** Number of last lines, or undefined for all. */
  tail?: number;
  follow: boolean;
}

/** A whole message: P records joined up to their F record; times are parsed only when asked for. */
export interface Message {
  /** The record's timestamp as conmon wrote it. */
  ts: string;
  stream: 1 | 2;
  data: Buffer;
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;
const SPACE = 0x20;
const LETTER_E = 0x65;
const LETTER_P = 0x50;

/** Nanoseconds since the epoch of a message (for since/until). */
export function messageTimeNs(m: Message): bigint {
  return parseTimestamp(m.ts)?.ns ?? 0n;
}

/**
 * Splits log bytes into messages; keeps unfinished bytes and partial records for the next
 * call. A whole record's data points into the chunk it came in (no copy): the caller must
 * not reuse a chunk while it holds messages from it. Partial records are copied.
 */
export class LogDecoder {
  private rest: Buffer = EMPTY;
  private pending: { 1: Buffer[]; 2: Buffer[] } = { 1: [], 2: [] };

  push(chunk: Buffer, out: Message[] = []): Message[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const line = start;
      start = nl + 1;
      // TIMESTAMP SP (stdout|stderr) SP (P|F) [SP content]
      const s1 = buf.indexOf(SPACE, line);
      if (s1 < 0 || s1 + 9 > nl || buf[s1 + 7] !== SPACE) continue;
      const stream: 1 | 2 = buf[s1 + 4] === LETTER_E ? 2 : 1;
      const partial = buf[s1 + 8] === LETTER_P;
      const contentStart = Math.min(s1 + 10, nl);
      const parts = this.pending[stream];
      if (partial) {
        parts.push(Buffer.from(buf.subarray(contentStart, nl)));
        continue;
      }
      let data = buf.subarray(contentStart, nl + 1); // the content and its newline
      if (parts.length) {
        parts.push(data);
        data = Buffer.concat(parts);
        this.pending[stream] = [];
      }
      out.push({ ts: buf.toString('latin1', line, s1), stream, data });
    }
    this.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : EMPTY;
    return out;
  }

  /** Partial output at the end of the log (a prompt without newline) once the writer is gone. */
  flushPartial(): Message[] {
    const out: Message[] = [];
    for (const s of [1, 2] as const) {
      if (this.pending[s].length) {
        out.push({ ts: new Date().toISOString(), stream: s, data: Buffer.concat(this.pending[s]) });
        this.pending[s] = [];
      }
    }
    return out;
  }
}

function keep(m: Message, o: LogOptions): boolean {
  if (m.stream === 1 && !o.stdout) return false;
  if (m.stream === 2 && !o.stderr) return false;
  if (o.since !== undefined || o.until !== undefined) {
    const t = messageTimeNs(m);
    if (o.since !== undefined && t < o.since) return false;
    if (o.until !== undefined && t > o.until) return false;
  }
  return true;
}

function render(m: Message, o: LogOptions): Buffer {
  if (!o.timestamps) return m.data;
  return Buffer.concat([Buffer.from((parseTimestamp(m.ts)?.utc ?? m.ts) + ' '), m.data]);
}

/**
 * Streams a container's log to `emit`, calling `flush` after each read (so a writer can
 * batch). With follow, keeps reading as the file grows until `stopped` resolves (the
 * container exited) or `cancelled` does (the client went away).
 */
export async function streamLogs(
  file: string,
  o: LogOptions,
  emit: (stream: 1 | 2, data: Buffer) => void,
  stopped: Promise<void>,
  cancelled: Promise<void>,
  flush: () => void = () => undefined,
): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    if (!o.follow) return;
    await fsp.writeFile(file, '', { flag: 'a' });
    fh = await fsp.open(file, 'r');
  }
  try {
    const dec = new LogDecoder();
    let pos = 0;
    /** Decodes what the file has beyond `pos`; each read gets its own buffer (messages point into it). */
    const readAll = async (each: (m: Message) => void): Promise<void> => {
      for (;;) {
        const buf = Buffer.allocUnsafe(1 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) return;
        pos += bytesRead;
        for (const m of dec.push(buf.subarray(0, bytesRead))) if (keep(m, o)) each(m);
        flush();
      }
    };
    if (o.tail === undefined || o.tail < 0) {
      await readAll((m) => emit(m.stream, render(m, o)));
    } else {
      // The last N messages: a ring, so a huge log never sits in memory whole.
      const n = o.tail;
      const ring: Message[] = [];
      let next = 0;
      await readAll((m) => {
        if (n === 0) return;
        if (ring.length < n) ring.push(m);
        else ring[next] = m;
        next = (next + 1) % n;
      });
      const ordered = ring.length < n ? ring : [...ring.slice(next), ...ring.slice(0, next)];
      for (const m of ordered) emit(m.stream, render(m, o));
      flush();
    }
    if (!o.follow) return;

    let done = false;
    let wake: (() => void) | undefined;
    const watcher = watch(file, () => wake?.());
    void stopped.then(() => {
      done = true;
      wake?.();
    });
    void cancelled.then(() => {
      done = true;
      wake?.();
    });
    try {
      while (!done) {
        await new Promise<void>((r) => {
          wake = r;
          // Belt and braces: fs.watch can miss a write; poll now and then.
          setTimeout(r, 250);
        });
        await readAll((m) => emit(m.stream, render(m, o)));
      }
      await readAll((m) => emit(m.stream, render(m, o)));
      for (const m of dec.flushPartial()) if (keep(m, o)) emit(m.stream, render(m, o));
      flush();
    } finally {
      watcher.close();
    }
  } finally {
    await fh.close();
  }
}
