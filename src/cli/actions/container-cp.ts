/** `cp`: docker's runCopy — a tar over the archive API, shaped on the client side as go-archive does. */
import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { StatusError, type CliContext } from '../command.js';
import { humanSizeWithPrecision } from '../../lib/human.js';
import { goModeIsDir, GoMode, hasGoBit } from '../../lib/go-filemode.js';
import {
  copyInfoDestinationPath,
  copyInfoSourcePath,
  CopyError,
  getRebaseName,
  localContentSize,
  prepareArchiveCopy,
  rebaseArchiveEntries,
  resolveLocalPath,
  splitPathDirEntry,
  tarResource,
  untarLocal,
  type CopyInfo,
} from '../archive-copy.js';
import { err } from './common.js';

export interface CpOptions {
  source: string;
  destination: string;
  followLink: boolean;
  copyUIDGID: boolean;
  /** undefined: quiet unless stdout is a terminal (docker's default). */
  quiet?: boolean;
}

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/**
 * docker's splitCpArg: `CONTAINER:PATH`, unless the argument is a local path (absolute,
 * or starting with `.`), which may then hold a colon itself.
 */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export async function cpAction(ctx: CliContext, o: CpOptions): Promise<void> {
  if (o.source === '') throw new StatusError(1, 'source can not be empty');
  if (o.destination === '') throw new StatusError(1, 'destination can not be empty');
  const src = splitCpArg(o.source);
  const dst = splitCpArg(o.destination);
  const quiet = o.quiet ?? !ctx.streams.out.isTTY;
  try {
    if (src.container && dst.container) throw new StatusError(1, 'copying between containers is not supported');
    if (src.container) return await copyFromContainer(ctx, src.container, src.path, dst.path, o.followLink, quiet);
    if (dst.container) return await copyToContainer(ctx, src.path, dst.container, dst.path, o.copyUIDGID, o.followLink, quiet);
    throw new StatusError(1, 'must specify at least one container source');
  } catch (e) {
    if (e instanceof CopyError) throw new StatusError(1, e.message);
    throw e;
  }
}

function archivePath(container: string): string {
  return `/containers/${encodeURIComponent(container)}/archive`;
}

/** HEAD /containers/{id}/archive: the stat header, or undefined when the path is not there. */
async function statPath(ctx: CliContext, container: string, p: string): Promise<PathStat | undefined> {
  try {
    const res = await ctx.client().request('HEAD', archivePath(container), { query: { path: p } });
    res.resume();
    return decodeStat(res);
  } catch {
    return undefined;
  }
}

function decodeStat(res: IncomingMessage): PathStat | undefined {
  const h = res.headers['x-docker-container-path-stat'];
  if (typeof h !== 'string') return undefined;
  return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as PathStat;
}

function summary(contentSize: number, transferred: number, dest: string): string {
  if (contentSize !== transferred) return `Successfully copied ${humanSizeWithPrecision(contentSize, 3)} (transferred ${humanSizeWithPrecision(transferred, 3)}) to ${dest}\n`;
  return `Successfully copied ${humanSizeWithPrecision(contentSize, 3)} to ${dest}\n`;
}

async function copyFromContainer(ctx: CliContext, container: string, srcPath: string, dstPath: string, followLink: boolean, quiet: boolean): Promise<void> {
  if (dstPath !== '-') dstPath = resolveLocalPath(dstPath);
  let rebaseName = '';
  if (followLink) {
    const st = await statPath(ctx, container, srcPath);
    if (st && hasGoBit(st.mode, GoMode.Symlink)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = `${splitPathDirEntry(srcPath)[0]}/${target}`;
      [target, rebaseName] = getRebaseName(srcPath, target);
      srcPath = target;
    }
  }
  const res = await ctx.client().request('GET', archivePath(container), { query: { path: srcPath } });
  if (dstPath === '-') {
    await new Promise<void>((resolve, reject) => {
      res.on('error', reject);
      res.on('end', resolve);
      // A reader that stops early (`| tar -t`) is not an error.
      ctx.streams.out.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? (res.destroy(), resolve()) : reject(e)));
      res.pipe(ctx.streams.out, { end: false });
    });
    return;
  }
  const stat = decodeStat(res);
  let copied = 0;
  // Counted on the way through; buffered until the extraction reads it.
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      copied += chunk.length;
      cb(null, chunk);
    },
  });
  res.on('error', (e) => counted.destroy(e));
  res.pipe(counted);
  const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: stat ? goModeIsDir(stat.mode) : false, rebaseName };
  let content: Readable = counted;
  if (rebaseName) content = rebaseArchiveEntries(counted, splitPathDirEntry(srcPath)[1], rebaseName);
  const dstInfo = await copyInfoDestinationPath(dstPath);
  const prepared = prepareArchiveCopy(content, srcInfo, dstInfo);
  await untarLocal(prepared.content, prepared.dstDir);
  if (!quiet) err(ctx, summary(stat && !srcInfo.isDir ? stat.size : copied, copied, dstPath));
}

async function copyToContainer(ctx: CliContext, srcPath: string, container: string, dstPath: string, copyUIDGID: boolean, followLink: boolean, quiet: boolean): Promise<void> {
  if (srcPath !== '-') srcPath = resolveLocalPath(srcPath);
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let dst = await statPath(ctx, container, dstPath);
  // A link in the container: the copy goes where it points.
  if (dst && hasGoBit(dst.mode, GoMode.Symlink)) {
    let target = dst.linkTarget;
    if (!target.startsWith('/')) target = `${splitPathDirEntry(dstPath)[0]}/${target}`;
    dstInfo.path = target;
    dst = await statPath(ctx, container, target);
  }
  if (dst) {
    const special = hasGoBit(dst.mode, GoMode.Device) || hasGoBit(dst.mode, GoMode.NamedPipe) || hasGoBit(dst.mode, GoMode.Socket) || hasGoBit(dst.mode, GoMode.Irregular);
    if (special) throw new StatusError(1, `destination "${container}:${dstPath}" must be a directory or a regular file: got a special file`);
    dstInfo.exists = true;
    dstInfo.isDir = goModeIsDir(dst.mode);
  }
  let content: Readable;
  let resolvedDst: string;
  let contentSize: number | undefined;
  let sent = 0;
  if (srcPath === '-') {
    if (!dstInfo.isDir) throw new StatusError(1, `destination "${container}:${dstPath}" must be a directory`);
    content = ctx.streams.in;
    resolvedDst = dstInfo.path;
  } else {
    const srcInfo = await copyInfoSourcePath(srcPath, followLink).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new StatusError(1, `lstat ${e.path ?? srcPath}: no such file or directory`);
      throw e;
    });
    contentSize = await localContentSize(srcInfo.path).catch(() => undefined);
    const prepared = prepareArchiveCopy(tarResource(srcInfo), srcInfo, dstInfo);
    content = prepared.content;
    resolvedDst = prepared.dstDir;
  }
  const counted = new PassThrough({ highWaterMark: 1 << 20 });
  counted.on('data', (c: Buffer) => (sent += c.length));
  content.on('error', (e) => counted.destroy(e));
  content.pipe(counted);
  const res = await ctx.client().request('PUT', archivePath(container), {
    query: { path: resolvedDst, noOverwriteDirNonDir: true, copyUIDGID: copyUIDGID || undefined },
    stream: counted,
    contentType: 'application/x-tar',
  });
  res.resume();
  if (!quiet) err(ctx, summary(contentSize ?? sent, sent, `${container}:${dstInfo.path}`));
}
