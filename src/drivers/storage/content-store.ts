import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp, type ReadStream } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDir } from '../../lib/atomic-file.js';
import { InvalidParameterError, NotFoundError, isErrno, wrap } from '../../lib/errors.js';

/**
 * Content-addressed blob store (containerd's content store): blobs live at
 * `<root>/blobs/sha256/<hex>` and are immutable. Ingest writes a temp file under
 * `<root>/ingest`, verifies the digest, fsyncs, then renames into place, so
 * uncommitted or torn data is never visible under a digest.
 */
export class ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  /** Creates the directories and drops ingests a crash left behind. */
  async init(): Promise<void> {
    await fsp.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await fsp.rm(this.ingestDir, { recursive: true, force: true });
    await fsp.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  /** The file holding a committed blob (it may not exist). */
  blobPath(digest: string): string {
    return path.join(this.blobDir, hexOf(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fsp.access(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await fsp.stat(this.blobPath(digest))).size;
    } catch (err) {
      throw notFound(err, digest);
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.blobPath(digest));
    } catch (err) {
      throw notFound(err, digest);
    }
  }

  /** Opens a committed blob for streaming; NotFoundError if absent. */
  async openRead(digest: string): Promise<ReadStream> {
    const p = this.blobPath(digest);
    try {
      await fsp.access(p);
    } catch (err) {
      throw notFound(err, digest);
    }
    return createReadStream(p);
  }

  /** Stores a buffer; if `expected` is given the content must hash to it. Returns the digest. */
  async put(data: Uint8Array, expected?: string): Promise<string> {
    const w = await this.writer();
    try {
      await new Promise<void>((resolve, reject) => w.stream.end(data, () => resolve()).once('error', reject));
      return await w.commit(expected);
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Streams a blob in; commit() verifies and publishes it, abort() discards it. */
  async writer(): Promise<BlobWriter> {
    const tmp = path.join(this.ingestDir, randomBytes(8).toString('hex'));
    const fh = await fsp.open(tmp, 'wx', 0o600);
    return new BlobWriter(fh, tmp, (digest) => this.blobPath(digest), this.blobDir);
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.blobPath(digest), { force: true });
  }

  /** Every committed digest. */
  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.blobDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

/** One ingest: a writable stream that hashes as it writes. */
export class BlobWriter {
  readonly stream: Writable;
  private readonly hash: Hash = createHash('sha256');
  private written = 0;
  private done = false;

  constructor(
    private readonly fh: fsp.FileHandle,
    private readonly tmp: string,
    private readonly target: (digest: string) => string,
    private readonly blobDir: string,
  ) {
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        this.hash.update(chunk);
        this.written += chunk.length;
        this.fh.write(chunk).then(
          () => cb(),
          (err: unknown) => cb(err as Error),
        );
      },
    });
  }

  get size(): number {
    return this.written;
  }

  /** Writes a readable completely into the blob. */
  async consume(src: NodeJS.ReadableStream): Promise<void> {
    await pipeline(src, this.stream);
  }

  /**
   * Verifies (when `expected` is given) and publishes the blob; an already present blob
   * with the same digest is kept. Returns the digest of what was written.
   */
  async commit(expected?: string): Promise<string> {
    if (!this.stream.writableFinished) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('finish', resolve).once('error', reject);
        if (!this.stream.writableEnded) this.stream.end();
      });
    }
    const digest = `sha256:${this.hash.digest('hex')}`;
    if (expected !== undefined && expected !== digest) {
      await this.abort();
      throw new InvalidParameterError(`digest mismatch: expected ${expected}, got ${digest}`);
    }
    try {
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      await fsp.rename(this.tmp, this.target(digest));
      await fsyncDir(this.blobDir);
    } catch (err) {
      await this.abort();
      throw wrap(err, `commit blob ${digest}`);
    }
    return digest;
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
    }
    if (!this.stream.destroyed) this.stream.destroy();
    await fsp.rm(this.tmp, { force: true });
  }
}

function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new InvalidParameterError(`invalid digest ${JSON.stringify(digest)}: only sha256 is supported`);
  return m[1];
}

function notFound(err: unknown, digest: string): Error {
  if (isErrno(err, 'ENOENT')) return new NotFoundError(`content ${digest}: not found`, { cause: err });
  return wrap(err, `read blob ${digest}`);
}
