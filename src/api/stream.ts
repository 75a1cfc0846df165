import type { Writable } from 'node:stream';

/** Stream ids of Docker's multiplexed (non-TTY) stream framing. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

/**
 * Docker's 8-byte header framing for attach/logs/exec without a TTY:
 * [stream, 0, 0, 0, size (uint32 big-endian)] followed by size bytes.
 */
export function frame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Writes container output to a client, framed unless the container has a TTY. */
export function outputWriter(out: Writable, tty: boolean): (stream: number, data: Buffer) => boolean {
  return tty ? (_s, data) => out.write(data) : (s, data) => out.write(frame(s, data));
}

/**
 * Like outputWriter, but gathers frames until flush(): one socket write per batch instead
 * of one per log line (a million-line log is a million writes otherwise).
 */
export function batchingWriter(out: Writable, tty: boolean): { write: (stream: number, data: Buffer) => void; flush: () => void } {
  let parts: Buffer[] = [];
  let size = 0;
  const flush = (): void => {
    if (!parts.length) return;
    out.write(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    parts = [];
    size = 0;
  };
  const write = (stream: number, data: Buffer): void => {
    if (!tty) {
      const header = Buffer.allocUnsafe(8);
      header.writeUInt32BE(stream << 24, 0);
      header.writeUInt32BE(data.length, 4);
      parts.push(header);
      size += 8;
    }
    parts.push(data);
    size += data.length;
    if (size >= 1 << 20) flush();
  };
  return { write, flush };
}
