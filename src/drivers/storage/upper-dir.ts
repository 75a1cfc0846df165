import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type * as tar from 'tar-stream';
import { tarStream } from '../../lib/lazy-modules.js';
import { SystemError } from '../../lib/errors.js';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './whiteout-rewrite.js';

/**
 * Reading a container's overlay upper dir: its entries (for diff), the opaque
 * directories (an xattr Node cannot read: GNU tar reads it for us), a lower-layer lookup,
 * and the upper dir as an OCI layer tar (for commit): overlay whiteouts (0/0 character
 * devices, which overlayfs may hard-link to one shared inode) become `.wh.NAME` entries,
 * `trusted.overlay.opaque=y` becomes `DIR/.wh..wh..opq`, other trusted.overlay.* xattrs
 * are dropped.
 */

export type EntryKind = 'dir' | 'file' | 'symlink' | 'whiteout' | 'other';

/** One entry of an upper dir, with the stat fields diff compares. */
export interface TreeEntry {
  /** Container path: "/etc/passwd". */
  path: string;
  kind: EntryKind;
  mode: number;
  uid: number;
  gid: number;
}

/** Lists every entry under `upper`, parents before children, directories in name order. */
export async function walkUpper(upper: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (dir: string, cdir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await fsp.readdir(dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const stats = await Promise.all(names.map((n) => fsp.lstat(path.join(dir, n)).catch(() => undefined)));
    for (let i = 0; i < names.length; i++) {
      const st = stats[i];
      if (!st) continue;
      const cpath = cdir === '/' ? `/${names[i]}` : `${cdir}/${names[i]}`;
      const kind: EntryKind = st.isCharacterDevice() && st.rdev === 0 ? 'whiteout' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      out.push({ path: cpath, kind, mode: st.mode, uid: st.uid, gid: st.gid });
      if (kind === 'dir') await walk(path.join(dir, names[i]), cpath);
    }
  };
  await walk(upper, '/');
  return out;
}

/** The container paths of the opaque directories among `dirs` (container paths) of `upper`. */
export async function opaqueDirs(upper: string, dirs: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!dirs.length) return found;
  const proc = spawn('tar', ['-c', '-f', '-', '--no-recursion', '--numeric-owner', '--xattrs', '--xattrs-include=trusted.overlay.opaque', '-C', upper, '--null', '-T', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdin.on('error', () => undefined);
  proc.stdin.end(dirs.map((d) => '.' + d + '\0').join(''));
  const extract = tarStream().extract();
  extract.on('entry', (h, body, next) => {
    const pax = (h as { pax?: Record<string, string> | null }).pax;
    if (pax?.['SCHILY.xattr.trusted.overlay.opaque'] === 'y') found.add('/' + h.name.replace(/^\.\//, '').replace(/\/$/, ''));
    body.on('end', () => next());
    body.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  const exited = new Promise<number>((resolve, reject) => {
    proc.on('error', (e) => reject(new SystemError(`tar: ${e.message}`)));
    proc.on('close', (code) => resolve(code ?? 1));
  });
  proc.stdout.pipe(extract as unknown as Writable);
  const [code] = await Promise.all([exited, done]);
  // 1: "some files differ/changed as we read them" — a running container; the list is still good.
  if (code > 1) throw new SystemError(`reading overlay xattrs of ${upper}: ${stderr.trim() || 'tar exit status ' + code}`);
  return found;
}

/** What a path is in the image's layers (the lower dirs, bottom first), as overlay would show it. */
export interface LowerEntry {
  kind: EntryKind;
  mode: number;
  uid: number;
  gid: number;
}

export class LowerLayers {
  private readonly top: string[];

  constructor(layersBottomFirst: string[]) {
    this.top = [...layersBottomFirst].reverse();
  }

  /** The path in the merged lower layers, or undefined when absent (or whited out). */
  async lookup(cpath: string): Promise<LowerEntry | undefined> {
    for (const layer of this.top) {
      let st;
      try {
        st = await fsp.lstat(path.join(layer, cpath));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // ENOTDIR: a parent is a whiteout or a file in this layer: hidden below too.
        if (code === 'ENOTDIR') return undefined;
        if (code === 'ENOENT') {
          if (await this.parentWhitedOut(layer, cpath)) return undefined;
          continue;
        }
        throw err;
      }
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      const kind: EntryKind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      return { kind, mode: st.mode, uid: st.uid, gid: st.gid };
    }
    return undefined;
  }

  /** Names in a directory of the merged lower layers (for the children an opaque upper dir hides). */
  async children(cdir: string): Promise<string[]> {
    const seen = new Set<string>();
    const gone = new Set<string>();
    for (const layer of this.top) {
      let entries;
      try {
        entries = await fsp.readdir(path.join(layer, cdir), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (seen.has(e.name) || gone.has(e.name)) continue;
        if (e.isCharacterDevice()) {
          const st = await fsp.lstat(path.join(layer, cdir, e.name)).catch(() => undefined);
          if (st && st.rdev === 0) {
            gone.add(e.name);
            continue;
          }
        }
        seen.add(e.name);
      }
    }
    return [...seen].sort();
  }

  private async parentWhitedOut(layer: string, cpath: string): Promise<boolean> {
    let p = path.posix.dirname(cpath);
    while (p !== '/') {
      const st = await fsp.lstat(path.join(layer, p)).catch(() => undefined);
      if (st) return st.isCharacterDevice() && st.rdev === 0;
      p = path.posix.dirname(p);
    }
    return false;
  }
}

/**
 * The upper dir as an OCI layer tar (uncompressed) on the returned stream. `skip` names
 * container paths (and what is below them) that must not go into the layer.
 */
export function upperLayerTar(upper: string, skip: (cpath: string) => boolean): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const proc = spawn(
    'tar',
    ['-c', '-f', '-', '--numeric-owner', '--xattrs', '--xattrs-include=trusted.overlay.opaque', '--xattrs-include=security.capability', '-C', upper, '.'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const extract = tarStream().extract();
  const pack = tarStream().pack();
  const whiteouts = new Set<string>();
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    proc.kill();
    extract.destroy();
    pack.destroy();
    out.destroy(err);
  };
  const emit = (h: Partial<tar.Header> & { name: string }, body?: Readable): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const sink = pack.entry(h as tar.Header, (err) => (err ? reject(err) : resolve()));
      // A file entry finishes when its sink ends, even an empty one.
      if (body) body.pipe(sink as unknown as Writable);
      else (sink as unknown as Writable).end();
    });
  const whiteoutHeader = (cpath: string, h: tar.Header): Partial<tar.Header> & { name: string } => ({
    name: path.posix.join(path.posix.dirname(cpath), WHITEOUT_PREFIX + path.posix.basename(cpath)).slice(1),
    type: 'file',
    size: 0,
    mode: 0o600,
    uid: h.uid,
    gid: h.gid,
    mtime: h.mtime,
  });

  extract.on('entry', (h, src, next) => {
    const body = src as unknown as Readable;
    void (async () => {
      const rel = h.name.replace(/^\.\/?/, '').replace(/\/$/, '');
      if (!rel) {
        body.resume();
        return;
      }
      const cpath = '/' + rel;
      const pax = (h as { pax?: Record<string, string> | null }).pax ?? {};
      const isWhiteout = (h.type === 'character-device' && h.devmajor === 0 && h.devminor === 0) || (h.type === 'link' && whiteouts.has(h.linkname));
      if (isWhiteout) whiteouts.add(h.name);
      if (skip(cpath)) {
        body.resume();
        return;
      }
      if (isWhiteout) {
        body.resume();
        await emit(whiteoutHeader(cpath, h));
        return;
      }
      const keep: Record<string, string> = {};
      for (const [k, v] of Object.entries(pax)) if (k === 'SCHILY.xattr.security.capability') keep[k] = v;
      const header = {
        name: rel + (h.type === 'directory' ? '/' : ''),
        type: h.type,
        mode: h.mode & 0o7777 ? h.mode & 0o7777 : 0o100000,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime,
        size: h.type === 'file' || h.type === 'contiguous-file' ? h.size : 0,
        linkname: h.type === 'link' ? h.linkname.replace(/^\.\//, '') : h.linkname,
        devmajor: h.devmajor,
        devminor: h.devminor,
        ...(Object.keys(keep).length ? { pax: keep } : {}),
      };
      if (header.type === 'file' || header.type === 'contiguous-file') {
        await emit({ ...header, type: 'file' }, body);
      } else {
        body.resume();
        await emit(header);
      }
      if (h.type === 'directory' && pax['SCHILY.xattr.trusted.overlay.opaque'] === 'y') {
        await emit({ name: `${rel}/${WHITEOUT_OPAQUE}`, type: 'file', size: 0, mode: h.mode & 0o777 || 0o100000, uid: h.uid, gid: h.gid, mtime: h.mtime });
      }
    })().then(
      () => next(),
      (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
    );
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (e: Error) => fail(e));
  pack.on('error', (e: Error) => fail(e));
  proc.on('error', (e) => fail(new SystemError(`tar: ${e.message}`)));
  proc.on('close', (code) => {
    // 1: files changed while read (a running, unpaused container): the archive is complete.
    if (code !== null && code > 1) fail(new SystemError(`archiving ${upper}: ${stderr.trim() || 'tar exit status ' + code}`));
  });
  proc.stdout.pipe(extract as unknown as Writable);
  (pack as unknown as Readable).pipe(out);
  out.on('close', () => {
    if (proc.exitCode === null) proc.kill();
  });
  return out;
}

