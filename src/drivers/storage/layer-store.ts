import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fsyncDir, readJson, writeJsonAtomic } from '../../lib/atomic-file.js';
import { InvalidParameterError, NotFoundError, SystemError, errorMessage, isErrno, wrap } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { ContentStore } from './content-store.js';
import { decompressed } from './decompress.js';
import { rewriteLayerTar, type LayerTarStats } from './whiteout-rewrite.js';

/** One unpacked layer (a committed snapshot), keyed by its chain ID. */
export interface LayerInfo {
  /** sha256 over the layer chain: diffID for the bottom layer, else sha256("<parent> <diffID>"). */
  chainId: string;
  /** sha256 of the uncompressed layer tar (also the digest of its blob in the content store). */
  diffId: string;
  parent?: string;
  /** Bytes of file contents in the layer. */
  size: number;
  /** Name of the short link `<root>/l/<link>` to the diff dir. */
  link: string;
  created: string;
}

/**
 * Snapshots of image layers (containerd's snapshotter, committed snapshots only): each
 * layer is unpacked once into `<root>/layers/<chainid-hex>/diff`, with overlay whiteouts
 * already in on-disk form, and gets a short symlink `<root>/l/<26 chars>` → the diff dir
 * so deep images fit the kernel's ~4 KB limit on mount options. The uncompressed layer
 * tar is kept in the content store under its diffID (save and push serve it as is).
 *
 * A layer directory appears only by renaming a fully unpacked temp directory into place,
 * so a crash leaves either no layer or a complete one.
 */
export class LayerStore {
  private readonly layersDir: string;
  private readonly linkDir: string;
  private readonly layers = new Map<string, LayerInfo>();

  constructor(
    readonly root: string,
    private readonly content: ContentStore,
  ) {
    this.layersDir = path.join(root, 'layers');
    this.linkDir = path.join(root, 'l');
  }

  /** Bytes of file contents in all layers (each counted once, however many images share it). */
  totalSize(): number {
    let n = 0;
    for (const l of this.layers.values()) n += l.size;
    return n;
  }

  /** Loads the layer records; removes temp and half-deleted layers and dangling links. */
  async init(): Promise<void> {
    await fsp.mkdir(this.layersDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.linkDir, { recursive: true, mode: 0o700 });
    for (const name of await fsp.readdir(this.layersDir)) {
      const dir = path.join(this.layersDir, name);
      if (!/^[a-f0-9]{64}$/.test(name)) {
        await fsp.rm(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const info = await readJson<LayerInfo>(path.join(dir, 'layer.json'));
        this.layers.set(info.chainId, info);
      } catch (err) {
        log.warn('removing incomplete layer', { dir, err: errorMessage(err) });
        await fsp.rm(dir, { recursive: true, force: true });
      }
    }
    const wanted = new Set([...this.layers.values()].map((l) => l.link));
    for (const name of await fsp.readdir(this.linkDir)) {
      if (!wanted.has(name)) await fsp.rm(path.join(this.linkDir, name), { force: true });
    }
    for (const l of this.layers.values()) await this.ensureLink(l);
  }

  has(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  get(chainId: string): LayerInfo {
    const l = this.layers.get(chainId);
    if (!l) throw new NotFoundError(`layer ${chainId} does not exist`);
    return l;
  }

  all(): LayerInfo[] {
    return [...this.layers.values()];
  }

  /** The absolute path of a layer's unpacked contents. */
  diffDir(chainId: string): string {
    return path.join(this.layersDir, hex(chainId), 'diff');
  }

  /** The absolute path of the short link to a layer's diff dir. */
  linkPath(chainId: string): string {
    return path.join(this.linkDir, this.get(chainId).link);
  }

  /**
   * Unpacks a layer tar (uncompressed or gzip) on top of `parent` (a chain ID, or none
   * for a bottom layer). When `expectedDiffId` is given the uncompressed tar must hash
   * to it. If the resulting chain already exists the new copy is discarded. `hold` is
   * called with the chain ID before the layer becomes visible (or is found to exist), so
   * the caller can protect it from garbage collection without a gap.
   */
  async apply(
    parent: string | undefined,
    input: NodeJS.ReadableStream,
    opts: { expectedDiffId?: string; hold?: (chainId: string) => void } = {},
  ): Promise<LayerInfo> {
    const expectedDiffId = opts.expectedDiffId;
    if (parent !== undefined && !this.layers.has(parent)) throw new NotFoundError(`parent layer ${parent} does not exist`);
    const tmp = path.join(this.layersDir, `.tmp-${randomBytes(8).toString('hex')}`);
    const diff = path.join(tmp, 'diff');
    await fsp.mkdir(diff, { recursive: true, mode: 0o755 });
    const blob = await this.content.writer();
    let committed = false;
    try {
      const { stream } = await decompressed(input);
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          if (blob.stream.write(chunk)) cb(null, chunk);
          else blob.stream.once('drain', () => cb(null, chunk));
        },
      });
      blob.stream.on('error', (err) => tap.destroy(err));
      stream.on('error', (err) => tap.destroy(err));
      stream.pipe(tap);
      const stats = await untar(tap, diff);
      await finished(tap);
      let diffId: string;
      try {
        diffId = await blob.commit(expectedDiffId);
      } catch (err) {
        if (err instanceof InvalidParameterError) throw new InvalidParameterError(`layer content does not match its diffID: ${err.message}`);
        throw err;
      }
      committed = true;
      const chainId = chainIdOf(parent, diffId);
      opts.hold?.(chainId);
      const existing = this.layers.get(chainId);
      if (existing) return existing;
      const info: LayerInfo = {
        chainId,
        diffId,
        ...(parent !== undefined ? { parent } : {}),
        size: stats.size,
        link: linkIdOf(chainId),
        created: new Date().toISOString(),
      };
      await writeJsonAtomic(path.join(tmp, 'layer.json'), info);
      const final = path.join(this.layersDir, hex(chainId));
      try {
        await fsp.rename(tmp, final);
      } catch (err) {
        // Another apply of the same chain won the race: use its copy.
        if ((isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) && this.layers.has(chainId)) return this.layers.get(chainId)!;
        throw err;
      }
      await fsyncDir(this.layersDir);
      this.layers.set(chainId, info);
      await this.ensureLink(info);
      return info;
    } catch (err) {
      if (!committed) await blob.abort();
      if (err instanceof InvalidParameterError || err instanceof NotFoundError) throw err;
      throw wrap(err, 'apply layer');
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes a layer's directory and link (its blob is the caller's to collect). */
  async remove(chainId: string): Promise<void> {
    const l = this.layers.get(chainId);
    if (!l) return;
    const dir = path.join(this.layersDir, hex(chainId));
    const doomed = path.join(this.layersDir, `.del-${hex(chainId)}-${randomBytes(4).toString('hex')}`);
    try {
      await fsp.rename(dir, doomed);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw wrap(err, `remove layer ${chainId}`);
    }
    this.layers.delete(chainId);
    await fsp.rm(path.join(this.linkDir, l.link), { force: true });
    await fsp.rm(doomed, { recursive: true, force: true });
  }

  private async ensureLink(l: LayerInfo): Promise<void> {
    const link = path.join(this.linkDir, l.link);
    const target = path.join('..', 'layers', hex(l.chainId), 'diff');
    try {
      await fsp.symlink(target, link);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw wrap(err, `link layer ${l.chainId}`);
      if ((await fsp.readlink(link)) !== target) {
        await fsp.rm(link, { force: true });
        await fsp.symlink(target, link);
      }
    }
  }
}

/** Extracts a layer tar into `dir` with GNU tar after rewriting whiteouts for overlayfs. */
async function untar(input: NodeJS.ReadableStream, dir: string): Promise<LayerTarStats> {
  const child = spawn(
    'tar',
    [
      '-x',
      '-p',
      '--numeric-owner',
      '--xattrs',
      '--xattrs-include=trusted.overlay.*',
      '--xattrs-include=security.capability',
      '--xattrs-include=user.*',
      '--warning=no-unknown-keyword',
      '--warning=no-timestamp',
      '-C',
      dir,
      '-f',
      '-',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  try {
    const stats = await rewriteLayerTar(input, child.stdin);
    const code = await exited;
    if (code !== 0) throw new SystemError(`tar exited with ${code}: ${stderr.trim()}`);
    return stats;
  } catch (err) {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    if (err instanceof InvalidParameterError || err instanceof SystemError) throw err;
    throw new SystemError(`unpack layer: ${errorMessage(err)}${stderr ? `: ${stderr.trim()}` : ''}`, { cause: err });
  }
}

export function chainIdOf(parent: string | undefined, diffId: string): string {
  if (parent === undefined) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** Chain IDs of a list of diffIDs, bottom first. */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  for (const d of diffIds) {
    parent = chainIdOf(parent, d);
    out.push(parent);
  }
  return out;
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A stable 26-character link name for a chain (like overlay2's `l/` entries). */
export function linkIdOf(chainId: string): string {
  const bytes = createHash('sha256').update(`link:${chainId}`).digest().subarray(0, 17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.slice(0, 26);
}

function hex(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new InvalidParameterError(`invalid layer id ${JSON.stringify(digest)}`);
  return m[1];
}
