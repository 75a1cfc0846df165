import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import { tarStream } from '../../lib/lazy-modules.js';

type Headers = Omit<Partial<tar.Header>, 'type'> & { name: string; type?: string | null };
import { InvalidParameterError, SystemError, errorMessage } from '../../lib/errors.js';
import { ScopedPathError, splitPath } from '../../lib/scoped-path.js';
import { at, closeQuietly, FdWalker, O_CLOEXEC, RootedFs } from './rooted-fs.js';

/**
 * Extracts a tar into a directory of a RootedFs (docker cp into a container). Every entry
 * is resolved inside the container's root through directory file descriptors: a symlink
 * in the container (`x -> /etc`, `y -> ../../..`) leads to the container's own /etc or
 * root, never the host's, and nothing is created through a link in the last component
 * (an existing one is replaced, as tar does). Names that climb out of the destination
 * (`../x`) are refused. Directory times are set last, as Go's archive does.
 */

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (the docker CLI's default). */
  noOverwriteDirNonDir: boolean;
  /** Owner for every entry (copyUIDGID with a container user); else the archive's. */
  chown?: { uid: number; gid: number };
}

/** An extraction conflict or a bad archive: the client's fault. */
export class ExtractError extends InvalidParameterError {}

interface DirTime {
  path: string;
  mtime: Date;
}

export async function extractTar(rfs: RootedFs, destPath: string, input: Readable, o: ExtractOptions): Promise<void> {
  const extract = tarStream().extract();
  const dirTimes: DirTime[] = [];
  // The walker positioned in the last entry's parent, reused while entries share it.
  let cache: { parent: string; walker: FdWalker } | undefined;
  const dropCache = (): void => {
    cache?.walker.close();
    cache = undefined;
  };

  const handle = async (h: Headers, body: Readable): Promise<void> => {
    const type = h.type ?? 'file';
    if (type === 'pax-global-header' || type === 'pax-header' || type === 'gnu-long-path' || type === 'gnu-long-link-path') {
      body.resume();
      return;
    }
    const rel = cleanEntryName(h.name);
    if (rel === '') {
      body.resume();
      return;
    }
    const cPath = destPath === '/' ? `/${rel}` : `${destPath}/${rel}`;
    const parent = path.posix.dirname(cPath);
    const name = path.posix.basename(cPath);
    let walker: FdWalker;
    if (cache && cache.parent === parent) {
      walker = cache.walker;
    } else {
      dropCache();
      const r = await rfs.resolve(parent + '/', { followFinal: true, missing: 'mkdir' }).catch((err: unknown) => {
        if (err instanceof ScopedPathError) throw new ExtractError(`cannot extract ${h.name}: ${err.message}`);
        throw err;
      });
      // The walker sits in the parent's parent; step into the parent itself.
      if (r.name !== '') {
        if (r.kind.type === 'missing' && r.walker.mkdir) await r.walker.mkdir(r.name);
        else if (r.kind.type !== 'dir') {
          r.walker.close();
          throw new ExtractError(`cannot extract ${h.name}: ${parent} is not a directory`);
        }
        await r.walker.enter(r.name);
      }
      walker = r.walker;
      cache = { parent, walker };
    }
    const existing = await walker.look(name);
    if (existing.type !== 'missing') {
      const isDir = existing.type === 'dir';
      if (o.noOverwriteDirNonDir && isDir && type !== 'directory') {
        throw new ExtractError(`cannot overwrite directory ${JSON.stringify(cPath)} with non-directory ${JSON.stringify(destPath)}`);
      }
      if (o.noOverwriteDirNonDir && !isDir && type === 'directory') {
        throw new ExtractError(`cannot overwrite non-directory ${JSON.stringify(cPath)} with directory ${JSON.stringify(destPath)}`);
      }
      if (!(isDir && type === 'directory')) {
        await removeAt(walker.fd, name, isDir);
      }
    }
    const dirFd = walker.fd;
    const target = at(dirFd, name);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = o.chown?.uid ?? h.uid ?? 0;
    const gid = o.chown?.gid ?? h.gid ?? 0;
    const mtime = h.mtime ?? new Date();
    switch (type) {
      case 'directory': {
        if (existing.type !== 'dir') await fs.promises.mkdir(target, { mode: 0o700 });
        await fs.promises.lchown(target, uid, gid);
        // chmod(2) would follow a link swapped in meanwhile: go through an O_NOFOLLOW fd.
        const dfd = await openFd(target, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW | O_CLOEXEC, 0);
        try {
          await fchmod(dfd, mode);
        } finally {
          closeQuietly(dfd);
        }
        dirTimes.push({ path: cPath, mtime });
        body.resume();
        return;
      }
      case 'file':
      case 'contiguous-file': {
        const fd = await openFd(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW | O_CLOEXEC, 0o600);
        try {
          for await (const chunk of body) await writeAll(fd, chunk as Buffer);
          await fchown(fd, uid, gid);
          await fchmod(fd, mode);
          await futimes(fd, mtime, mtime);
        } finally {
          closeQuietly(fd);
        }
        return;
      }
      case 'symlink': {
        body.resume();
        await fs.promises.symlink(h.linkname ?? '', target);
        await fs.promises.lchown(target, uid, gid);
        await fs.promises.lutimes(target, mtime, mtime);
        return;
      }
      case 'link': {
        body.resume();
        const linkRel = cleanEntryName(h.linkname ?? '');
        if (linkRel === '') throw new ExtractError(`invalid hard link ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}`);
        const src = await rfs.resolve(destPath === '/' ? `/${linkRel}` : `${destPath}/${linkRel}`, { followFinal: false }).catch((err: unknown) => {
          if (err instanceof ScopedPathError) throw new ExtractError(`cannot create hard link ${h.name}: ${err.message}`);
          throw err;
        });
        try {
          if (src.kind.type === 'missing' || src.kind.type === 'dir') throw new ExtractError(`cannot create hard link ${h.name}: ${h.linkname} does not exist or is a directory`);
          await fs.promises.link(at(src.walker.fd, src.name), target);
        } finally {
          src.walker.close();
        }
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        body.resume();
        // Node cannot mknod; mknod(1) reaches our directory through our own fd table.
        const where = `/proc/${process.pid}/fd/${dirFd}/${name}`;
        const args =
          type === 'fifo' ? ['-m', mode.toString(8), where, 'p'] : ['-m', mode.toString(8), where, type === 'character-device' ? 'c' : 'b', String(h.devmajor ?? 0), String(h.devminor ?? 0)];
        await run('mknod', args);
        await fs.promises.lchown(target, uid, gid);
        return;
      }
      default:
        body.resume();
    }
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      input.unpipe?.(extract as unknown as NodeJS.WritableStream);
      input.resume();
      extract.destroy();
      reject(err);
    };
    extract.on('entry', (h, src, next) => {
      const body = src as unknown as Readable;
      handle(h as Headers, body).then(
        () => next(),
        (err: unknown) => {
          body.resume();
          fail(err);
        },
      );
    });
    extract.on('finish', () => {
      if (!failed) resolve();
    });
    extract.on('error', (err: unknown) => fail(err instanceof ExtractError ? err : new ExtractError(`invalid tar archive: ${errorMessage(err)}`)));
    input.on('error', fail);
    input.pipe(extract as unknown as NodeJS.WritableStream);
  }).finally(dropCache);

  // Directory times last: creating entries inside changed them.
  for (const d of dirTimes.reverse()) {
    const r = await rfs.resolve(d.path, { followFinal: false }).catch(() => undefined);
    if (!r) continue;
    try {
      if (r.kind.type === 'dir') await fs.promises.lutimes(r.name === '' ? at(r.walker.fd) : at(r.walker.fd, r.name), d.mtime, d.mtime);
    } finally {
      r.walker.close();
    }
  }
}

/**
 * An archive member's name relative to the destination: leading `/` and `./` dropped,
 * cleaned; '' for the destination itself. Names that climb out are refused.
 */
export function cleanEntryName(name: string): string {
  const parts: string[] = [];
  for (const c of splitPath(name)) {
    if (c === '..') {
      if (!parts.length) throw new ExtractError(`invalid entry name ${JSON.stringify(name)}: it leaves the destination directory`);
      parts.pop();
    } else parts.push(c);
  }
  return parts.join('/');
}

/** Removes `name` in `dirFd`: recursively (through fds) for a directory. */
async function removeAt(dirFd: number, name: string, isDir: boolean): Promise<void> {
  if (!isDir) {
    await fs.promises.unlink(at(dirFd, name));
    return;
  }
  const fd = await openFd(at(dirFd, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW | O_CLOEXEC, 0);
  try {
    for (const e of await fs.promises.readdir(at(fd), { withFileTypes: true })) {
      await removeAt(fd, e.name, e.isDirectory());
    }
  } finally {
    closeQuietly(fd);
  }
  await fs.promises.rmdir(at(dirFd, name));
}

function openFd(p: string, flags: number, mode: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(p, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    off += await new Promise<number>((resolve, reject) => fs.write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
  }
}

const fchown = (fd: number, uid: number, gid: number): Promise<void> => new Promise((res, rej) => fs.fchown(fd, uid, gid, (e) => (e ? rej(e) : res())));
const fchmod = (fd: number, mode: number): Promise<void> => new Promise((res, rej) => fs.fchmod(fd, mode, (e) => (e ? rej(e) : res())));
const futimes = (fd: number, a: Date, m: Date): Promise<void> => new Promise((res, rej) => fs.futimes(fd, a, m, (e) => (e ? rej(e) : res())));

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => reject(new SystemError(`${cmd}: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new SystemError(`${cmd}: ${err.trim() || 'exit status ' + code}`))));
  });
}
