import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tarStream } from '../../lib/lazy-modules.js';
import { decompressed } from '../../drivers/storage/decompress.js';
import { InvalidParameterError, errorMessage } from '../../lib/errors.js';
import type { ArchiveFiles } from './archive-manifest.js';

interface StagedFile {
  file: string;
  size: number;
  digest: string;
}

const MAX_LINK_HOPS = 16;

/**
 * An uploaded image archive unpacked into a private temp directory. Only regular files
 * are written (each under a generated name, never the archive's own path), symlinks and
 * hard links are resolved by name inside the archive, so nothing in the tar can write
 * outside the staging directory. Every file's sha256 is computed while it is written.
 */
export class StagedArchive implements ArchiveFiles {
  private readonly files = new Map<string, StagedFile>();
  private readonly links = new Map<string, string>();

  private constructor(readonly dir: string) {}

  /** Reads a whole (maybe gzip-compressed) tar into `dir`, which must exist and be empty. */
  static async stage(input: NodeJS.ReadableStream, dir: string): Promise<StagedArchive> {
    const staged = new StagedArchive(dir);
    const { stream } = await decompressed(input);
    const extract = tarStream().extract();
    let n = 0;
    extract.on('entry', (header, body, next) => {
      const name = cleanName(header.name);
      const done = (err?: unknown): void => next(err ? (err as Error) : undefined);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const file = path.join(dir, `f${n++}`);
        const hash = createHash('sha256');
        let size = 0;
        const tap = new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            size += chunk.length;
            cb(null, chunk);
          },
        });
        pipeline(body as unknown as Readable, tap, createWriteStream(file, { mode: 0o600 })).then(
          () => {
            staged.files.set(name, { file, size, digest: `sha256:${hash.digest('hex')}` });
            staged.links.delete(name);
            done();
          },
          (err: unknown) => done(err),
        );
        return;
      }
      body.resume();
      if (header.type === 'symlink' && header.linkname) {
        staged.links.set(name, path.posix.join(path.posix.dirname(name), header.linkname));
      } else if (header.type === 'link' && header.linkname) {
        staged.links.set(name, cleanName(header.linkname));
      }
      done();
    });
    try {
      await pipeline(stream, extract as unknown as Writable);
    } catch (err) {
      throw new InvalidParameterError(`invalid image archive: ${errorMessage(err)}`, { cause: err });
    }
    if (staged.files.size === 0) throw new InvalidParameterError('invalid image archive: the archive is empty');
    return staged;
  }

  private resolve(name: string): StagedFile | undefined {
    let cur = cleanName(name);
    for (let i = 0; i < MAX_LINK_HOPS; i++) {
      const f = this.files.get(cur);
      if (f) return f;
      const next = this.links.get(cur);
      if (next === undefined) return undefined;
      cur = cleanName(next);
    }
    return undefined;
  }

  private must(name: string): StagedFile {
    const f = this.resolve(name);
    if (!f) throw new InvalidParameterError(`invalid image archive: ${name} is missing`);
    return f;
  }

  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }

  async read(name: string): Promise<Buffer> {
    const f = this.must(name);
    if (f.size > 64 << 20) throw new InvalidParameterError(`invalid image archive: ${name} is too large to be metadata`);
    return fsp.readFile(f.file);
  }

  digest(name: string): string {
    return this.must(name).digest;
  }

  size(name: string): number {
    return this.must(name).size;
  }

  open(name: string): Readable {
    return createReadStream(this.must(name).file);
  }
}

function cleanName(name: string): string {
  return path.posix.normalize('/' + name).slice(1).replace(/\/+$/, '');
}
