import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { resolveScoped, ScopedPathError, type NodeKind, type ResolveOptions, type ScopedResult, type ScopeWalker } from '../../lib/scoped-path.js';
import { goFileMode, rfc3339Nano } from '../../lib/go-filemode.js';

/**
 * Filesystem access confined to a root directory (a container's root): every lookup goes
 * through directory file descriptors, one component at a time, never letting the kernel
 * follow a symlink (`/proc/self/fd/<dirfd>/<name>` is openat(dirfd, name) for the
 * syscalls Node offers; O_NOFOLLOW on every open). Symlinks are resolved by
 * lib/scoped-path.ts inside the root, so a container can point them anywhere and still
 * only reach its own files — even if it swaps directories for links while we walk.
 *
 * The root is a path the caller trusts: a container's `/proc/<pid>/root` (its mount
 * namespace: bind mounts and tmpfs included) or its rootfs mounted on the host.
 */

const fsOpen = promisify(fs.open);
const fsClose = promisify(fs.close);
const fsFstat = promisify(fs.fstat) as (fd: number, o: { bigint: true }) => Promise<fs.BigIntStats>;
const fsRead = (fd: number, buf: Buffer, off: number, len: number, pos: number | null): Promise<number> =>
  new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));

export const O_CLOEXEC = 0o2000000;
export const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW | O_CLOEXEC;
export const FILE_RDONLY = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | O_CLOEXEC;

/** The path that makes the kernel look `name` up in the directory open as `fd` (and nothing else). */
export function at(fd: number, name?: string): string {
  return name ? `/proc/self/fd/${fd}/${name}` : `/proc/self/fd/${fd}`;
}

/**
 * Closes an fd now (synchronously: a close never blocks, and an fd left open a moment
 * longer keeps a mount busy for the umount that follows).
 */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Docker's PathStat (the `X-Docker-Container-Path-Stat` header, base64 JSON). */
export interface PathStat {
  name: string;
  size: number;
  /** Go FileMode bits. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** A ScopeWalker over directory file descriptors: fds[0] is the root (not ours to close). */
export class FdWalker implements ScopeWalker {
  private readonly fds: number[];

  constructor(rootFd: number) {
    this.fds = [rootFd];
  }

  /** The directory the walker is in. */
  get fd(): number {
    return this.fds[this.fds.length - 1];
  }

  async look(name: string): Promise<NodeKind> {
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(at(this.fd, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { type: 'missing' };
      if (code === 'ENOTDIR') throw new ScopedPathError('ENOTDIR', name);
      throw err;
    }
    if (st.isDirectory()) return { type: 'dir' };
    if (st.isSymbolicLink()) return { type: 'symlink', target: await fs.promises.readlink(at(this.fd, name)) };
    if (st.isFile()) return { type: 'file' };
    return { type: 'other' };
  }

  async enter(name: string): Promise<void> {
    try {
      this.fds.push(await fsOpen(at(this.fd, name), DIR_FLAGS));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Swapped for a symlink or a file since we looked: refuse rather than follow.
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new ScopedPathError('ENOTDIR', name);
      if (code === 'ENOENT') throw new ScopedPathError('ENOENT', name);
      throw err;
    }
  }

  async leave(): Promise<void> {
    if (this.fds.length > 1) await fsClose(this.fds.pop()!);
  }

  async reset(): Promise<void> {
    while (this.fds.length > 1) await fsClose(this.fds.pop()!);
  }

  async mkdir(name: string): Promise<void> {
    await fs.promises.mkdir(at(this.fd, name), { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }

  /** Opens the current directory again (an fd the caller owns). */
  dupDir(): Promise<number> {
    return fsOpen(at(this.fd), DIR_FLAGS);
  }

  close(): void {
    while (this.fds.length > 1) closeQuietly(this.fds.pop()!);
  }
}

export interface Resolved extends ScopedResult {
  /** Positioned in the directory holding `name`; close it when done. */
  walker: FdWalker;
}

export class RootedFs {
  private constructor(
    readonly rootFd: number,
    readonly rootPath: string,
  ) {}

  static async open(rootPath: string): Promise<RootedFs> {
    // The root path is trusted (ours, or /proc/<pid>/root): following it is the point.
    const fd = await fsOpen(rootPath, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | O_CLOEXEC);
    return new RootedFs(fd, rootPath);
  }

  async close(): Promise<void> {
    await fsClose(this.rootFd).catch(() => undefined);
  }

  /** Resolves a container path; the caller closes `walker`. Throws ScopedPathError. */
  async resolve(p: string, o: ResolveOptions): Promise<Resolved> {
    const walker = new FdWalker(this.rootFd);
    try {
      const res = await resolveScoped(p, walker, o);
      return { ...res, walker };
    } catch (err) {
      walker.close();
      throw err;
    }
  }

  /** lstat of a resolved name (the root itself when `name` is ''). */
  static lstatAt(dirFd: number, name: string): Promise<fs.BigIntStats> {
    return fs.promises.lstat(at(dirFd, name), { bigint: true });
  }

  /**
   * Docker's stat of a container path: the last component is not followed; for a
   * symlink, `linkTarget` is its target fully resolved inside the root (as far as it
   * exists). Throws ScopedPathError('ENOENT') when the path does not exist.
   */
  async stat(p: string): Promise<PathStat> {
    const r = await this.resolve(p, { followFinal: false });
    let st: fs.BigIntStats;
    try {
      if (r.kind.type === 'missing') throw new ScopedPathError('ENOENT', p);
      st = r.name === '' ? await fsFstat(this.rootFd, { bigint: true }) : await RootedFs.lstatAt(r.walker.fd, r.name);
    } finally {
      r.walker.close();
    }
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const t = await this.resolve(p, { followFinal: true, missing: 'lexical' });
      t.walker.close();
      linkTarget = t.path;
    }
    return {
      name: baseName(p),
      size: Number(st.size),
      mode: goFileMode(Number(st.mode)),
      mtime: rfc3339Nano(st.mtimeNs),
      linkTarget,
    };
  }

  /** Reads a regular file (following symlinks inside the root); undefined if it does not exist. */
  async readFile(p: string, maxBytes = 16 << 20): Promise<Buffer | undefined> {
    let r: Resolved;
    try {
      r = await this.resolve(p, { followFinal: true });
    } catch (err) {
      if (err instanceof ScopedPathError) return undefined;
      throw err;
    }
    try {
      if (r.kind.type !== 'file') return undefined;
      const fd = await fsOpen(at(r.walker.fd, r.name), FILE_RDONLY);
      try {
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
          const buf = Buffer.allocUnsafe(64 << 10);
          const n = await fsRead(fd, buf, 0, buf.length, null);
          if (n === 0) break;
          chunks.push(buf.subarray(0, n));
          total += n;
          if (total > maxBytes) break;
        }
        return Buffer.concat(chunks);
      } finally {
        await fsClose(fd);
      }
    } finally {
      r.walker.close();
    }
  }
}

/** Go's filepath.Base. */
export function baseName(p: string): string {
  const t = p.replace(/\/+$/, '');
  if (t === '') return p.startsWith('/') ? '/' : '.';
  return t.slice(t.lastIndexOf('/') + 1);
}
