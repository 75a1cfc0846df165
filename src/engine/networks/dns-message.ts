/**
 * DNS messages (RFC 1035), pure: just what the embedded DNS server needs — parse a query,
 * build an answer with A or PTR records (or an error code), and parse answers for tests.
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsMessage {
  id: number;
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** A: dotted quad; PTR: a name; otherwise the rdata in hex. */
  data: string;
}

export class DnsFormatError extends Error {}

function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[pos];
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('truncated pointer');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new DnsFormatError('too many labels or a pointer loop');
}

function writeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'latin1');
    if (b.length > 63) throw new DnsFormatError('label too long');
    bufs.push(Buffer.from([b.length]), b);
  }
  bufs.push(Buffer.from([0]));
  return Buffer.concat(bufs);
}

/** Parses a message (query or answer); throws DnsFormatError when malformed. */
export function parseMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError('short header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 4 > buf.length) throw new DnsFormatError('truncated question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 10 > buf.length) throw new DnsFormatError('truncated record');
    const type = buf.readUInt16BE(next);
    const cls = buf.readUInt16BE(next + 2);
    const ttl = buf.readUInt32BE(next + 4);
    const len = buf.readUInt16BE(next + 8);
    const start = next + 10;
    if (start + len > buf.length) throw new DnsFormatError('truncated rdata');
    let data: string;
    if (type === TYPE_A && len === 4) data = [...buf.subarray(start, start + 4)].join('.');
    else if (type === TYPE_PTR) data = readName(buf, start).name;
    else data = buf.subarray(start, start + len).toString('hex');
    answers.push({ name, type, class: cls, ttl, data });
    pos = start + len;
  }
  return { id, flags, questions, answers };
}

export function rcodeOf(flags: number): number {
  return flags & 0xf;
}

/** A standard query with recursion desired. */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([h, writeName(name), q]);
}

export interface Answer {
  type: typeof TYPE_A | typeof TYPE_PTR;
  /** A: dotted quad; PTR: a name. */
  value: string;
  ttl?: number;
}

/**
 * The response to `query` (its first question echoed): authoritative, recursion available,
 * with the given records (their owner name points at the question's name) and code.
 */
export function buildResponse(query: DnsMessage, rcode: number, answers: Answer[] = []): Buffer {
  const q = query.questions[0];
  const h = Buffer.alloc(12);
  h.writeUInt16BE(query.id, 0);
  // QR, the query's opcode and RD, AA, RA, rcode.
  h.writeUInt16BE(0x8000 | (query.flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xf), 2);
  h.writeUInt16BE(q ? 1 : 0, 4);
  h.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [h];
  if (q) {
    const qt = Buffer.alloc(4);
    qt.writeUInt16BE(q.type, 0);
    qt.writeUInt16BE(q.class, 2);
    parts.push(writeName(q.name), qt);
  }
  for (const a of answers) {
    const rdata = a.type === TYPE_A ? Buffer.from(a.value.split('.').map(Number)) : writeName(a.value);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(a.ttl ?? 600, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

/** A minimal error answer when even the question could not be read (echoes the ID only). */
export function buildFormatError(buf: Buffer): Buffer | undefined {
  if (buf.length < 2) return undefined;
  const h = Buffer.alloc(12);
  buf.copy(h, 0, 0, 2);
  h.writeUInt16BE(0x8000 | 0x0080 | RCODE_FORMERR, 2);
  return h;
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; undefined for other names. */
export function ptrToIPv4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  return m ? [m[4], m[3], m[2], m[1]].join('.') : undefined;
}
