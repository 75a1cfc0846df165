/**
 * Docker's multiplexed stream framing (attach, logs and exec without a TTY): every frame
 * is an 8-byte header [stream id, 0, 0, 0, size uint32 big-endian] and `size` bytes.
 * Stream id 0 is stdin (echoed), 1 stdout, 2 stderr; 3 carries a system error.
 */
export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEMERR = 3;

export interface Frame {
  stream: number;
  payload: Buffer;
}

/**
 * Incremental demultiplexer: feed it chunks as they come off the socket, get whole
 * frames back; a frame split across chunks is held until it is complete.
 */
export class Demultiplexer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    let off = 0;
    while (this.pending.length - off >= 8) {
      const stream = this.pending[off];
      if (stream > STREAM_SYSTEMERR) {
        throw new Error(`Unrecognized input header: ${stream}`);
      }
      const size = this.pending.readUInt32BE(off + 4);
      if (this.pending.length - off - 8 < size) break;
      frames.push({ stream, payload: this.pending.subarray(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.pending = this.pending.subarray(off);
    return frames;
  }

  /** Bytes of an incomplete frame still waiting (non-zero at end of stream means truncation). */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Splits a complete multiplexed buffer into frames (pure; for tests and small bodies). */
export function demultiplex(data: Buffer): { frames: Frame[]; rest: Buffer } {
  const d = new Demultiplexer();
  const frames = d.push(data);
  return { frames, rest: data.subarray(data.length - d.buffered) };
}

/** Encodes one frame (the inverse, for tests and fakes). */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export interface Sink {
  write(data: Buffer): unknown;
}

/**
 * Copies a multiplexed stream to stdout/stderr sinks until it ends (docker's StdCopy).
 * A system-error frame rejects with its text.
 */
export async function copyDemultiplexed(
  source: AsyncIterable<Buffer | string>,
  stdout: Sink | undefined,
  stderr: Sink | undefined,
): Promise<void> {
  const d = new Demultiplexer();
  for await (const chunk of source) {
    for (const f of d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      if (f.stream === STREAM_SYSTEMERR) throw new Error(f.payload.toString('utf8'));
      const sink = f.stream === STREAM_STDERR ? stderr : stdout;
      sink?.write(f.payload);
    }
  }
}
