import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import type * as tar from 'tar-stream';
import { tarStream } from '../../lib/lazy-modules.js';

type Headers = Partial<tar.Header> & { name: string };
import { at, closeQuietly, DIR_FLAGS, FILE_RDONLY, RootedFs } from './rooted-fs.js';

/**
 * Writes a tar of a tree inside a RootedFs, walking it through directory file descriptors
 * only: nothing in the tree is ever followed (symlinks are archived as symlinks), so a
 * container cannot steer the walk onto the host, even by swapping directories for links
 * while it runs. Hard links inside the archive become tar link entries, as Go's archive
 * writer does; sockets are skipped (tar cannot hold them).
 */

export interface PackOptions {
  /** The archive name of the top entry ("." for "the directory's contents"; '' for the contents without a top entry). */
  rebaseName: string;
  /**
   * Directories (absolute container paths) not to descend into: pseudo filesystems of a
   * running container (/proc, /sys, ...). They are archived as empty directories.
   */
  skipDirs?: Set<string>;
  /** Called with each regular file's bytes (for progress and statistics). */
  onBytes?: (n: number) => void;
  /** Stops the walk (the reader went away): a pending write would otherwise wait forever. */
  signal?: AbortSignal;
}

const CHUNK = 1 << 20;

/** Hard links: the first archived name of every multiply-linked inode. */
type Seen = Map<string, string>;

/**
 * Archives the resource `name` in the directory `dirFd` (or the directory itself when
 * `name` is '') as `opts.rebaseName`, recursing into directories.
 */
export async function packTree(dirFd: number, name: string, containerPath: string, pack: tar.Pack, opts: PackOptions): Promise<void> {
  const seen: Seen = new Map();
  if (name === '') {
    const st = await fs.promises.stat(at(dirFd), { bigint: true });
    await packDir(dirFd, st, opts.rebaseName, containerPath, pack, opts, seen);
    return;
  }
  await packEntry(dirFd, name, opts.rebaseName, containerPath, pack, opts, seen);
}

async function packEntry(dirFd: number, name: string, archName: string, cPath: string, pack: tar.Pack, o: PackOptions, seen: Seen): Promise<void> {
  let st: fs.BigIntStats;
  try {
    st = await RootedFs.lstatAt(dirFd, name);
  } catch (err) {
    // Gone while we walked (a running container): skip it, as a tar of a live tree must.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const base = headerOf(st, archName);
  if (st.isDirectory()) {
    let fd: number;
    try {
      fd = await openFd(at(dirFd, name), DIR_FLAGS);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return;
      throw err;
    }
    try {
      await packDir(fd, st, archName, cPath, pack, o, seen);
    } finally {
      closeQuietly(fd);
    }
    return;
  }
  if (st.isSymbolicLink()) {
    const target = await fs.promises.readlink(at(dirFd, name)).catch(() => undefined);
    if (target === undefined) return;
    await addEntry(pack, { ...base, type: 'symlink', linkname: target }, o.signal);
    return;
  }
  if (st.nlink > 1n && !st.isDirectory()) {
    const key = `${st.dev}:${st.ino}`;
    const first = seen.get(key);
    if (first !== undefined) {
      await addEntry(pack, { ...base, type: 'link', linkname: first, size: 0 }, o.signal);
      return;
    }
    seen.set(key, archName);
  }
  if (st.isFile()) {
    await packFile(dirFd, name, base, st, pack, o);
    return;
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = Number(st.rdev);
    await addEntry(pack, {
      ...base,
      type: st.isCharacterDevice() ? 'character-device' : 'block-device',
      devmajor: (rdev >> 8) & 0xfff,
      devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    }, o.signal);
    return;
  }
  if (st.isFIFO()) await addEntry(pack, { ...base, type: 'fifo' }, o.signal);
  // Sockets: not representable in tar; Go's archive skips them too.
}

async function packDir(fd: number, st: fs.BigIntStats, archName: string, cPath: string, pack: tar.Pack, o: PackOptions, seen: Seen): Promise<void> {
  // '' archives a directory's contents without an entry for the directory (docker export).
  if (archName !== '') {
    const dirName = archName.endsWith('/') ? archName : archName + '/';
    await addEntry(pack, { ...headerOf(st, dirName), type: 'directory' }, o.signal);
  }
  if (o.skipDirs?.has(cPath)) return;
  let names: string[];
  try {
    names = await fs.promises.readdir(at(fd));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // Go's archive walks in lexical order; so do we (stable archives).
  names.sort();
  for (const n of names) {
    if (o.signal?.aborted) throw new Error('archive aborted');
    const childArch = archName === '' ? n : archName === '.' ? `./${n}` : `${archName.replace(/\/$/, '')}/${n}`;
    await packEntry(fd, n, childArch, cPath === '/' ? `/${n}` : `${cPath}/${n}`, pack, o, seen);
  }
}

async function packFile(dirFd: number, name: string, base: Headers, st: fs.BigIntStats, pack: tar.Pack, o: PackOptions): Promise<void> {
  let fd: number;
  try {
    fd = await openFd(at(dirFd, name), FILE_RDONLY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Replaced by a link or removed since the lstat: skip rather than follow.
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENXIO') return;
    throw err;
  }
  try {
    const size = Number(st.size);
    const entry = pack.entry({ ...base, type: 'file', size });
    const done = untilAborted(o.signal, (resolve, reject) => {
      entry.on('finish', resolve);
      entry.on('error', reject);
    });
    done.catch(() => undefined); // awaited below; an abort before that is not unhandled
    let remaining = size;
    while (remaining > 0) {
      if (o.signal?.aborted) throw new Error('archive aborted');
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, remaining));
      const n = await readFd(fd, buf, buf.length);
      // The file shrank while we read it (a running container): pad, the header is written.
      const chunk = n === 0 ? Buffer.alloc(remaining) : buf.subarray(0, n);
      remaining -= chunk.length;
      o.onBytes?.(n);
      if (!entry.write(chunk)) await untilAborted(o.signal, (resolve) => entry.once('drain', () => resolve()));
    }
    (entry as unknown as Writable).end();
    await done;
  } finally {
    closeQuietly(fd);
  }
}

function headerOf(st: fs.BigIntStats, name: string): Headers {
  return {
    name,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: new Date(Number(st.mtimeMs)),
  };
}

/** Adds a body-less entry; gives up when the walk is aborted (a destroyed pack never calls back). */
function addEntry(pack: tar.Pack, h: Headers, signal?: AbortSignal): Promise<void> {
  return untilAborted(signal, (resolve, reject) => pack.entry(h, (err) => (err ? reject(err) : resolve())));
}

/** A promise that also rejects when `signal` aborts (and leaves no listener behind). */
function untilAborted(signal: AbortSignal | undefined, start: (resolve: () => void, reject: (e: unknown) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('archive aborted'));
    const onAbort = (): void => reject(new Error('archive aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const off = (): void => signal?.removeEventListener('abort', onAbort);
    start(
      () => {
        off();
        resolve();
      },
      (e) => {
        off();
        reject(e);
      },
    );
  });
}

function openFd(p: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(p, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function readFd(fd: number, buf: Buffer, len: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, len, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * Pipes a pack into `out`, finishing it after `fill`; rejects on a failure of either side.
 * A client that goes away mid-stream is not a failure: the walk stops, quietly.
 */
export async function writeTar(out: Writable, fill: (pack: tar.Pack, signal: AbortSignal) => Promise<void>): Promise<void> {
  const pack = tarStream().pack();
  const abort = new AbortController();
  let gone = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const flushed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const onGone = (): void => {
    if (gone) return;
    gone = true;
    abort.abort();
    pack.destroy();
    settle.resolve();
  };
  out.on('error', onGone);
  out.on('close', onGone);
  // Gone before we started (the client hung up while the tree was being prepared).
  if (out.destroyed || (out as Writable & { closed?: boolean }).closed) onGone();
  pack.on('error', (err: unknown) => (gone ? undefined : settle.reject(err)));
  pack.on('end', () => settle.resolve());
  // By hand, not pack.pipe(): tar-stream's (streamx) pipe has no `end: false` and would
  // end `out` itself, before the caller is done with it.
  const src = pack as unknown as NodeJS.ReadableStream;
  src.on('data', (chunk: Buffer) => {
    if (gone) return;
    if (!out.write(chunk)) {
      src.pause();
      out.once('drain', () => src.resume());
    }
  });
  try {
    await fill(pack, abort.signal);
    if (!gone) pack.finalize();
  } catch (err) {
    if (gone) return;
    pack.destroy();
    throw err;
  }
  await flushed;
}
