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
