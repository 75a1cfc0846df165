import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type * as tar from 'tar-stream';
import { tarStream } from '../../lib/lazy-modules.js';
import { InvalidParameterError, errorMessage } from '../../lib/errors.js';

/**
 * Rewrites an OCI/Docker layer tar into the on-disk form overlayfs understands, so GNU tar
 * can apply it (Node can neither mknod nor setxattr):
 * - `DIR/.wh.NAME` (NAME deleted in this layer) becomes a 0/0 character device `DIR/NAME`;
 * - `DIR/.wh..wh..opq` (DIR opaque) becomes a directory entry for DIR carrying the PAX
 *   record `SCHILY.xattr.trusted.overlay.opaque=y` (with DIR's own mode and owner when the
 *   layer had an entry for it);
 * - other `.wh..wh.*` entries (AUFS bookkeeping) are dropped;
 * - `trusted.overlay.*` xattrs carried by the input are dropped: a layer must not forge
 *   overlay metadata;
 * - names are normalized; a member or hard link target outside the layer root is refused.
 * Everything else passes through unchanged (owners, modes, times, other xattrs).
 */

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OPAQUE_XATTR_PAX = 'SCHILY.xattr.trusted.overlay.opaque';

export interface LayerTarStats {
  /** Bytes of regular file contents plus symlink targets (what `docker images` calls size). */
  size: number;
  entries: number;
  whiteouts: number;
  opaques: number;
}

type Header = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> | null };

const passTypes = new Set(['file', 'contiguous-file', 'link', 'symlink', 'character-device', 'block-device', 'directory', 'fifo']);

/**
 * Reads a layer tar from `input` and writes the rewritten tar to `output` (ending it).
 * Resolves with statistics once the output has been flushed; rejects on malformed input
 * (InvalidParameterError) or on an output failure.
 */
export function rewriteLayerTar(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<LayerTarStats> {
  return new Promise<LayerTarStats>((resolve, reject) => {
    const extract = tarStream().extract();
    const pack = tarStream().pack();
    const stats: LayerTarStats = { size: 0, entries: 0, whiteouts: 0, opaques: 0 };
    const dirs = new Map<string, Header>();
    let settled = false;

    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      (input as Readable).unpipe?.(extract as unknown as Writable);
      extract.destroy();
      pack.destroy();
      reject(err instanceof InvalidParameterError ? err : new InvalidParameterError(`invalid layer tar: ${errorMessage(err)}`, { cause: err }));
    };

    const emit = (header: Header, body?: NodeJS.ReadableStream): Promise<void> =>
      new Promise<void>((res, rej) => {
        const sink = pack.entry(header, (err) => (err ? rej(err) : res()));
        if (body) {
          body.on('error', rej);
          body.pipe(sink as unknown as Writable);
        }
      });

    const handle = async (h: Header, body: Readable): Promise<void> => {
      if (!h.type || !passTypes.has(h.type)) {
        throw new InvalidParameterError(`invalid layer tar: unsupported entry type ${String(h.type)} for ${h.name}`);
      }
      const name = normalizeMember(h.name);
      const pax = sanitizePax(h.pax);
      const dir = path.posix.dirname(name);
      const base = path.posix.basename(name);
      stats.entries++;
      if (base.startsWith(WHITEOUT_PREFIX)) {
        body.resume();
        if (base === WHITEOUT_OPAQUE) {
          stats.opaques++;
          const seen = dirs.get(dir);
          const dh: Header = {
            name: dir,
            type: 'directory',
            mode: keepMode(seen?.mode ?? 0o755),
            uid: seen?.uid ?? h.uid ?? 0,
            gid: seen?.gid ?? h.gid ?? 0,
            mtime: seen?.mtime ?? h.mtime,
            uname: seen?.uname,
            gname: seen?.gname,
            pax: { ...(seen?.pax ?? {}), [OPAQUE_XATTR_PAX]: 'y' },
          };
          await emit(dh);
          return;
        }
        if (base.startsWith(WHITEOUT_META_PREFIX)) return;
        const target = base.slice(WHITEOUT_PREFIX.length);
        if (!target || target === '.' || target === '..') {
          throw new InvalidParameterError(`invalid layer tar: bad whiteout ${h.name}`);
        }
        stats.whiteouts++;
        await emit({
          name: dir === '.' ? target : `${dir}/${target}`,
          type: 'character-device',
          devmajor: 0,
          devminor: 0,
          mode: keepMode(0),
          uid: h.uid ?? 0,
          gid: h.gid ?? 0,
          mtime: h.mtime,
        });
        return;
      }
      const out: Header = {
        name,
        type: h.type === 'contiguous-file' ? 'file' : h.type,
        mode: keepMode(h.mode ?? 0),
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        mtime: h.mtime,
        uname: h.uname,
        gname: h.gname,
        devmajor: h.devmajor,
        devminor: h.devminor,
      };
      if (pax) out.pax = pax;
      if (h.type === 'link') out.linkname = normalizeMember(h.linkname ?? '');
      else if (h.type === 'symlink') {
        out.linkname = h.linkname ?? '';
        stats.size += Buffer.byteLength(out.linkname);
      }
      if (out.type === 'file') {
        out.size = h.size ?? 0;
        stats.size += out.size;
        await emit(out, body);
        return;
      }
      body.resume();
      if (out.type === 'directory') dirs.set(name, out);
      await emit(out);
    };

    extract.on('entry', (header, body, next) => {
      handle(header as Header, body as unknown as Readable).then(
        () => next(),
        (err: unknown) => {
          fail(err);
          next(err as Error);
        },
      );
    });
    extract.on('finish', () => pack.finalize());
    extract.on('error', (err: unknown) => fail(err));
    pack.on('error', (err: unknown) => fail(err));
    input.on('error', fail);
    output.on('error', (err: unknown) => {
      if (settled) return;
      settled = true;
      extract.destroy();
      pack.destroy();
      reject(err);
    });
    output.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve(stats);
    });
    input.pipe(extract as unknown as Writable);
    (pack as unknown as Readable).pipe(output);
  });
}

/**
 * A member name inside the layer root, without `./` or leading `/`; `.` is the root.
 * Refuses names that climb out of the root.
 */
export function normalizeMember(name: string): string {
  const n = path.posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) {
    throw new InvalidParameterError(`invalid layer tar: member ${JSON.stringify(name)} is outside the layer root`);
  }
  return n === '' ? '.' : n;
}

/** Drops the records tar-stream re-derives (path, size) and any forged overlay xattrs. */
function sanitizePax(pax: Record<string, string> | null | undefined): Record<string, string> | undefined {
  if (!pax) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(pax)) {
    if (k === 'path' || k === 'linkpath' || k === 'size') continue;
    if (k.startsWith('SCHILY.xattr.trusted.overlay.')) continue;
    out[k] = v;
    n++;
  }
  return n ? out : undefined;
}

/**
 * tar-stream replaces a falsy mode with 0644/0755; a set file-type bit keeps mode 0
 * (e.g. /etc/shadow) intact, since only the permission bits are encoded.
 */
function keepMode(mode: number): number {
  return mode & 0o7777 ? mode & 0o7777 : 0o100000;
}
