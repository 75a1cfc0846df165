import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidParameterError } from '../../lib/errors.js';

export type Compression = 'none' | 'gzip';

const magic: { name: string; bytes: number[] }[] = [
  { name: 'gzip', bytes: [0x1f, 0x8b] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
];

/** Names the compression of a stream from its first bytes ('none' for anything else). */
export function detectCompression(head: Uint8Array): string {
  for (const m of magic) {
    if (head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b)) return m.name;
  }
  return 'none';
}

/**
 * Looks at the first bytes of a stream and returns it uncompressed: gzip is inflated,
 * plain data passes through, other compressions are refused (berth stores and serves
 * uncompressed layers; only gzip is common in archives).
 */
export async function decompressed(input: NodeJS.ReadableStream): Promise<{ stream: Readable; compression: Compression }> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head = head.length ? Buffer.concat([head, Buffer.from(r.value)]) : Buffer.from(r.value);
  }
  const kind = detectCompression(head);
  if (kind !== 'none' && kind !== 'gzip') {
    await it.return?.();
    throw new InvalidParameterError(`${kind}-compressed data is not supported; use an uncompressed or gzip-compressed tar`);
  }
  const rest = Readable.from(
    (async function* () {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.from(r.value);
      }
    })(),
    { objectMode: false },
  );
  if (kind === 'none') return { stream: rest, compression: 'none' };
  // Large output chunks: with the default 16 KB, inflating is several times slower.
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  rest.on('error', (err) => gunzip.destroy(err));
  rest.pipe(gunzip);
  return { stream: gunzip, compression: 'gzip' };
}
