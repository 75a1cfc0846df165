/**
 * The client side of `cp`, as docker's CLI does it with go-archive: what the source and
 * destination are (CopyInfo), how the archive is renamed so that extracting it where the
 * daemon can produces the copy the user asked for (PrepareArchiveCopy,
 * RebaseArchiveEntries), and tar/untar of local paths. Extraction of an archive that
 * came from a container resolves every entry inside the destination directory
 * (lib/scoped-path): the container's symlinks can never make it write elsewhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { resolveScoped, ScopedPathError, splitPath, type NodeKind, type ScopeWalker } from '../lib/scoped-path.js';

type Header = Partial<tar.Header> & { name: string };

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

/** go-archive's errors, with their messages. */
export class CopyError extends Error {}
export const ErrNotDirectory = (): CopyError => new CopyError('not a directory');
export const ErrDirNotExists = (): CopyError => new CopyError('no such directory');
export const ErrCannotCopyDir = (): CopyError => new CopyError('cannot copy directory');

/** Go's filepath.Clean (POSIX). */
export function goClean(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(c);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s === '' ? (abs ? '/' : '.') : s;
}

function goBase(p: string): string {
  const t = p.replace(/\/+$/, '');
  if (t === '') return p === '' ? '.' : '/';
  return t.slice(t.lastIndexOf('/') + 1);
}

function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  return goClean(i < 0 ? '.' : p.slice(0, i + 1));
}

export function specifiesCurrentDir(p: string): boolean {
  return goBase(p) === '.';
}

export function hasTrailingPathSeparator(p: string): boolean {
  return p.length > 0 && p.endsWith('/');
}

export function assertsDirectory(p: string): boolean {
  return hasTrailingPathSeparator(p) || specifiesCurrentDir(p);
}

/** go-archive SplitPathDirEntry. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = goClean(p);
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [goDir(cleaned), goBase(cleaned)];
}

/** go-archive PreserveTrailingDotOrSeparator. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  if (!specifiesCurrentDir(cleaned) && specifiesCurrentDir(original)) {
    if (!hasTrailingPathSeparator(cleaned)) cleaned += '/';
    cleaned += '.';
  }
  if (!hasTrailingPathSeparator(cleaned) && hasTrailingPathSeparator(original)) cleaned += '/';
  return cleaned;
}

/** go-archive GetRebaseName: the name the archive must use when a link changed the last component. */
export function getRebaseName(p: string, resolved: string): [string, string] {
  let rebaseName = '';
  if (specifiesCurrentDir(p) && !specifiesCurrentDir(resolved)) resolved += '/.';
  if (hasTrailingPathSeparator(p) && !hasTrailingPathSeparator(resolved)) resolved += '/';
  if (goBase(p) !== goBase(resolved)) rebaseName = goBase(p);
  return [resolved, rebaseName];
}

/** An absolute local path, keeping a trailing "/" or "/." (docker's resolveLocalPath). */
export function resolveLocalPath(p: string, cwd = process.cwd()): string {
  return preserveTrailingDotOrSeparator(goClean(path.resolve(cwd, p)), p);
}

/** go-archive CopyInfoSourcePath for a local source. */
export async function copyInfoSourcePath(p: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  if (followLink) {
    const real = await fs.promises.realpath(p);
    [resolved, rebaseName] = getRebaseName(p, real);
  } else {
    const [dir, base] = [p.slice(0, p.lastIndexOf('/') + 1) || '.', p.slice(p.lastIndexOf('/') + 1)];
    const realDir = await fs.promises.realpath(dir);
    resolved = realDir.endsWith('/') ? realDir + base : `${realDir}/${base}`;
    if (hasTrailingPathSeparator(p) && goBase(p) !== goBase(resolved)) rebaseName = goBase(p);
  }
  const st = await fs.promises.lstat(resolved);
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

/** go-archive CopyInfoDestinationPath for a local destination: links followed; a missing one needs its parent. */
export async function copyInfoDestinationPath(p: string): Promise<CopyInfo> {
  const original = p;
  let st = await fs.promises.lstat(p).catch(() => undefined);
  if (st && !st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw new CopyError(`too many symlinks in ${original}`);
    let target = await fs.promises.readlink(p);
    if (!target.startsWith('/')) target = path.join(splitPathDirEntry(p)[0], target);
    p = target;
    st = await fs.promises.lstat(p).catch(() => undefined);
  }
  if (st) return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  const [parent] = splitPathDirEntry(p);
  let pst: fs.Stats;
  try {
    pst = await fs.promises.stat(parent);
  } catch {
    throw new CopyError(`stat ${parent}: no such file or directory`);
  }
  if (!pst.isDirectory()) throw ErrNotDirectory();
  return { path: p, exists: false, isDir: false, rebaseName: '' };
}

/**
 * go-archive PrepareArchiveCopy: where to extract `content` (an archive of `src`) so that
 * the result is `dst`, and the archive renamed for it.
 */
export function prepareArchiveCopy(content: Readable, src: CopyInfo, dst: CopyInfo): { dstDir: string; content: Readable } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  let [, srcBase] = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dstDir: dst.path, content };
  if (dst.exists && src.isDir) throw ErrCannotCopyDir();
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw ErrDirNotExists();
  if (src.rebaseName) srcBase = src.rebaseName;
  return { dstDir, content: rebaseArchiveEntries(content, srcBase, dstBase) };
}

/** The first occurrence of `oldBase` in each entry name (and hard link target) becomes `newBase`. */
export function rebaseName(name: string, oldBase: string, newBase: string): string {
  if (oldBase === '/') oldBase = '';
  const i = name.indexOf(oldBase);
  return i < 0 ? name : name.slice(0, i) + newBase + name.slice(i + oldBase.length);
}

/** go-archive RebaseArchiveEntries. */
export function rebaseArchiveEntries(input: Readable, oldBase: string, newBase: string): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const out = new PassThrough();
  extract.on('entry', (h, body, next) => {
    const header: Header = { ...h, name: rebaseName(h.name, oldBase, newBase) };
    if (h.type === 'link') header.linkname = rebaseName(h.linkname, oldBase, newBase);
    const sink = pack.entry(header as tar.Header, (err) => (err ? out.destroy(err) : next()));
    (body as unknown as Readable).pipe(sink as unknown as Writable);
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (err: Error) => out.destroy(err));
  input.on('error', (err: Error) => out.destroy(err));
  input.pipe(extract as unknown as Writable);
  (pack as unknown as Readable).pipe(out);
  return out;
}

/**
 * go-archive TarResource of a local path: the resource (a directory with its contents,
 * links as links) named after its base name, or `src.rebaseName`. `onBytes` counts
 * regular file contents.
 */
export function tarResource(src: CopyInfo, onBytes?: (n: number) => void): Readable {
  const [, base] = splitPathDirEntry(src.path);
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const add = (h: Header, body?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => pack.entry(h as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve())));
  const walk = async (abs: string, rel: string): Promise<void> => {
    const st = await fs.promises.lstat(abs);
    const name = src.rebaseName ? src.rebaseName + rel.slice(base.length) : rel;
    const h: Header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await add({ ...h, name: name.endsWith('/') ? name : name + '/', type: 'directory' });
      for (const child of (await fs.promises.readdir(abs)).sort()) await walk(path.join(abs, child), `${rel}/${child}`);
      return;
    }
    if (st.isSymbolicLink()) return add({ ...h, type: 'symlink', linkname: await fs.promises.readlink(abs) });
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first) return add({ ...h, type: 'link', linkname: first });
      seen.set(key, name);
    }
    if (st.isFile()) {
      const entry = pack.entry({ ...h, type: 'file', size: st.size } as tar.Header);
      const done = new Promise<void>((resolve, reject) => {
        entry.on('finish', resolve);
        entry.on('error', reject);
      });
      const rs = fs.createReadStream(abs, { highWaterMark: 1 << 20, end: st.size > 0 ? st.size - 1 : undefined, start: 0 });
      if (st.size === 0) (entry as unknown as Writable).end();
      else {
        rs.on('data', (c) => onBytes?.(c.length));
        rs.pipe(entry as unknown as Writable);
      }
      await done;
    } else if (st.isFIFO()) await add({ ...h, type: 'fifo' });
  };
  void walk(src.path.replace(/\/\.$/, '').replace(/(.)\/$/, '$1'), base).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return pack as unknown as Readable;
}

/** Bytes of regular files under a local path (docker's localContentSize). */
export async function localContentSize(p: string): Promise<number> {
  const st = await fs.promises.lstat(p);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let total = 0;
  for (const e of await fs.promises.readdir(p, { withFileTypes: true })) {
    if (e.isDirectory()) total += await localContentSize(path.join(p, e.name));
    else if (e.isFile()) total += (await fs.promises.lstat(path.join(p, e.name))).size;
  }
  return total;
}

/** A ScopeWalker over a local directory tree, by paths (the caller trusts its own disk, not the archive). */
class LocalWalker implements ScopeWalker {
  private parts: string[] = [];
  constructor(private readonly root: string) {}
  get dir(): string {
    return path.join(this.root, ...this.parts);
  }
  async look(name: string): Promise<NodeKind> {
    const p = path.join(this.dir, name);
    const st = await fs.promises.lstat(p).catch(() => undefined);
    if (!st) return { type: 'missing' };
    if (st.isDirectory()) return { type: 'dir' };
    if (st.isSymbolicLink()) return { type: 'symlink', target: await fs.promises.readlink(p) };
    return st.isFile() ? { type: 'file' } : { type: 'other' };
  }
  async enter(name: string): Promise<void> {
    this.parts.push(name);
  }
  async leave(): Promise<void> {
    this.parts.pop();
  }
  async reset(): Promise<void> {
    this.parts = [];
  }
  async mkdir(name: string): Promise<void> {
    await fs.promises.mkdir(path.join(this.dir, name), { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/**
 * go-archive Untar into an existing local directory, as docker cp does (no chown, no
 * directory replaced by a file or the reverse). Every entry lands inside `dstDir`.
 */
export async function untarLocal(input: Readable, dstDir: string): Promise<void> {
  const st = await fs.promises.stat(dstDir).catch(() => undefined);
  if (!st?.isDirectory()) throw ErrNotDirectory();
  const extract = tar.extract();
  const dirs: { p: string; mtime: Date }[] = [];
  const handle = async (h: tar.Header, body: Readable): Promise<void> => {
    const parts: string[] = [];
    for (const c of splitPath(h.name)) {
      if (c === '..') {
        if (!parts.length) throw new CopyError(`${JSON.stringify(h.name)} is outside of ${JSON.stringify(dstDir)}`);
        parts.pop();
      } else parts.push(c);
    }
    if (!parts.length) {
      body.resume();
      return;
    }
    const w = new LocalWalker(dstDir);
    let r;
    try {
      r = await resolveScoped(parts.join('/'), w, { followFinal: false, missing: 'mkdir' });
    } catch (err) {
      if (err instanceof ScopedPathError) throw new CopyError(`cannot extract ${h.name}: ${err.message}`);
      throw err;
    }
    const target = path.join(w.dir, r.name);
    if (r.kind.type !== 'missing') {
      const isDir = r.kind.type === 'dir';
      if (isDir && h.type !== 'directory') throw new CopyError(`cannot overwrite directory ${JSON.stringify(target)} with non-directory ${JSON.stringify(dstDir)}`);
      if (!isDir && h.type === 'directory') throw new CopyError(`cannot overwrite non-directory ${JSON.stringify(target)} with directory ${JSON.stringify(dstDir)}`);
      if (!isDir) await fs.promises.rm(target, { force: true });
    }
    const mode = h.mode & 0o7777;
    switch (h.type) {
      case 'directory':
        body.resume();
        if (r.kind.type !== 'dir') await fs.promises.mkdir(target, { mode: 0o700 });
        await fs.promises.chmod(target, mode);
        dirs.push({ p: target, mtime: h.mtime });
        return;
      case 'file':
      case 'contiguous-file': {
        // wx: O_CREAT|O_EXCL, which never follows a link (the old entry was removed above).
        const ws = fs.createWriteStream(target, { mode: 0o600, flags: 'wx' });
        await new Promise<void>((resolve, reject) => {
          ws.on('error', reject);
          ws.on('finish', resolve);
          body.on('error', reject);
          body.pipe(ws);
        });
        await fs.promises.chmod(target, mode);
        await fs.promises.utimes(target, h.mtime, h.mtime);
        return;
      }
      case 'symlink':
        body.resume();
        await fs.promises.symlink(h.linkname, target);
        await fs.promises.lutimes(target, h.mtime, h.mtime).catch(() => undefined);
        return;
      case 'link': {
        body.resume();
        const lw = new LocalWalker(dstDir);
        const lr = await resolveScoped(h.linkname, lw, { followFinal: false });
        await fs.promises.link(path.join(lw.dir, lr.name), target);
        return;
      }
      default:
        // Devices and fifos: docker cp as a normal user cannot make them either.
        body.resume();
    }
  };
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, body, next) => {
      handle(h, body as unknown as Readable).then(
        () => next(),
        (err: unknown) => {
          extract.destroy();
          reject(err);
        },
      );
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    input.on('error', reject);
    input.pipe(extract as unknown as Writable);
  });
  for (const d of dirs.reverse()) await fs.promises.utimes(d.p, d.mtime, d.mtime).catch(() => undefined);
}
