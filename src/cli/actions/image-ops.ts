/** Image commands: images, rmi, tag, load, save, import, history, image inspect, image prune. */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseFilterArgs } from '../../client/docker-client.js';
import { humanSize } from '../../lib/human.js';
import { StatusError, type CliContext } from '../command.js';
import { formatHistory, formatImages, historyFormat, imageFormat } from '../format/image-format.js';
import { displayJsonMessages } from '../progress.js';
import { confirmOrCancel } from '../prompt.js';
import { pruneSection, pruneSummary } from '../format/system-format.js';
import { printInspected } from './inspect.js';
import { err, errorText, out } from './common.js';

export interface ImagesOptions {
  reference: string;
  all: boolean;
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
  filters: string[];
  format: string;
}

export async function imagesAction(ctx: CliContext, o: ImagesOptions): Promise<void> {
  const filters = parseFilterArgs(o.filters);
  if (o.reference) (filters.reference ??= []).push(o.reference);
  const images = await ctx.client().imageList({ all: o.all, filters });
  const format = imageFormat(o.format || 'table', o.quiet, o.digests);
  out(ctx, formatImages(images, { format, trunc: !o.noTrunc, digest: o.digests, now: ctx.now() }));
}

export async function rmiAction(ctx: CliContext, o: { images: string[]; force: boolean; noPrune: boolean }): Promise<void> {
  let fatal = false;
  const errors: string[] = [];
  for (const img of o.images) {
    try {
      const dels = await ctx.client().imageRemove(img, { force: o.force, noprune: o.noPrune });
      for (const d of dels ?? []) out(ctx, d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged}\n`);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) fatal = true;
      errors.push(errorText(e));
    }
  }
  if (errors.length) {
    if (!o.force || fatal) throw new StatusError(1, errors.join('\n'));
    err(ctx, `${errors.join('\n')}\n`);
  }
}

/**
 * Splits and normalises a target reference the way the Go client does before
 * POST /images/{name}/tag: `repo` is the full name, `tag` defaults to latest.
 */
export function parseTagTarget(target: string): { repo: string; tag: string } {
  const bad = (why: string): StatusError => new StatusError(1, `Error parsing reference: "${target}" is not a valid repository/tag: invalid reference format${why}`);
  if (target.includes('@')) throw new StatusError(1, 'refusing to create a tag with a digest reference');
  const slash = target.lastIndexOf('/');
  const colon = target.lastIndexOf(':');
  let name = target;
  let tag = 'latest';
  if (colon > slash) {
    name = target.slice(0, colon);
    tag = target.slice(colon + 1);
  }
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw bad('');
  if (name === '') throw bad('');
  const parts = name.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const repoPath = hasDomain ? parts.slice(1).join('/') : name;
  if (repoPath !== repoPath.toLowerCase()) throw bad(`: repository name (${hasDomain ? repoPath : parts.length === 1 ? `library/${repoPath}` : repoPath}) must be lowercase`);
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repoPath)) throw bad('');
  let repo: string;
  if (hasDomain) repo = name;
  else if (parts.length === 1) repo = `docker.io/library/${name}`;
  else repo = `docker.io/${name}`;
  return { repo, tag };
}

export async function tagAction(ctx: CliContext, o: { source: string; target: string }): Promise<void> {
  const { repo, tag } = parseTagTarget(o.target);
  await ctx.client().imageTag(o.source, repo, tag);
}

export async function loadAction(ctx: CliContext, o: { input: string; quiet: boolean }): Promise<void> {
  let source: NodeJS.ReadableStream;
  if (o.input === '') {
    if (ctx.streams.in.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
    source = ctx.streams.in;
  } else {
    try {
      await fsp.access(o.input);
    } catch (e) {
      throw new StatusError(1, `open ${o.input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorText(e)}`);
    }
    source = createReadStream(o.input);
  }
  const terminal = Boolean(ctx.streams.out.isTTY);
  const res = await ctx.client().imageLoad(source, { quiet: o.quiet || !terminal });
  if (String(res.headers['content-type'] ?? '').includes('json')) {
    await displayJsonMessages(res as AsyncIterable<Buffer>, ctx.streams.out, terminal);
  } else {
    for await (const c of res) ctx.streams.out.write(c as Buffer);
  }
}

export async function saveAction(ctx: CliContext, o: { images: string[]; output: string }): Promise<void> {
  if (o.output === '' && ctx.streams.out.isTTY) {
    throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const res = await ctx.client().imageSave(o.images);
  if (o.output === '') {
    await pipeline(res, ctx.streams.out, { end: false });
    return;
  }
  // Write next to the target and rename, so a failed save never leaves half a file.
  const dir = path.dirname(path.resolve(o.output));
  const tmp = path.join(dir, `.${path.basename(o.output)}.${process.pid}.tmp`);
  try {
    await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
    await fsp.rename(tmp, o.output);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new StatusError(1, `failed to save image: ${errorText(e)}`);
  }
}

export interface ImportOptions {
  source: string;
  reference: string;
  changes: string[];
  message: string;
  platform: string;
}

export async function importAction(ctx: CliContext, o: ImportOptions): Promise<void> {
  let body: NodeJS.ReadableStream | undefined;
  let fromSrc = '-';
  if (o.source === '-') body = ctx.streams.in;
  else if (o.source.startsWith('http://') || o.source.startsWith('https://')) fromSrc = o.source;
  else {
    try {
      await fsp.access(o.source);
    } catch {
      throw new StatusError(1, `open ${o.source}: no such file or directory`);
    }
    body = createReadStream(o.source);
  }
  let repo = '';
  let tag = '';
  if (o.reference) {
    const t = parseTagTarget(o.reference);
    repo = t.repo;
    const explicitTag = o.reference.lastIndexOf(':') > o.reference.lastIndexOf('/');
    tag = explicitTag ? t.tag : '';
  }
  const res = await ctx.client().imageImport(body, { fromSrc, repo, tag, message: o.message, changes: o.changes, platform: o.platform });
  await displayJsonMessages(res as AsyncIterable<Buffer>, ctx.streams.out, Boolean(ctx.streams.out.isTTY));
}

export interface HistoryOptions {
  image: string;
  human: boolean;
  noTrunc: boolean;
  quiet: boolean;
  format: string;
}

export async function historyAction(ctx: CliContext, o: HistoryOptions): Promise<void> {
  const items = await ctx.client().imageHistory(o.image);
  const format = historyFormat(o.format || 'table', o.quiet, o.human);
  out(ctx, formatHistory(items, { format, trunc: !o.noTrunc, human: o.human, now: ctx.now() }));
}

export async function imageInspectAction(ctx: CliContext, o: { names: string[]; format: string }): Promise<void> {
  const client = ctx.client();
  await printInspected(ctx, o.names, o.format, (n) => client.imageInspect(n));
}

export async function imagePruneAction(ctx: CliContext, o: { all: boolean; force: boolean; filters: string[] }): Promise<void> {
  const filters = parseFilterArgs(o.filters);
  filters.dangling = [String(!o.all)];
  const warning = o.all
    ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
    : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
  // A "no" ends the command quietly with status 0 (docker's errdefs.Cancelled).
  if (!o.force) await confirmOrCancel(ctx, warning);
  const report = await ctx.client().imagePrune(filters);
  let text = '';
  if (report.ImagesDeleted && report.ImagesDeleted.length > 0) {
    text += 'Deleted Images:\n';
    for (const d of report.ImagesDeleted) text += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
    text += '\n';
  }
  out(ctx, `${text}Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
}

export async function containerPruneAction(ctx: CliContext, o: { force: boolean; filters: string[] }): Promise<void> {
  const filters = parseFilterArgs(o.filters);
  if (!o.force) await confirmOrCancel(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?');
  const report = await ctx.client().containerPrune(filters);
  // The space only counts when something was deleted, as docker adds it up.
  const deleted = report.ContainersDeleted ?? [];
  out(ctx, pruneSummary([pruneSection('Deleted Containers:', deleted)], deleted.length > 0 ? (report.SpaceReclaimed ?? 0) : 0));
}
