/** `diff`, `export` and `commit`: a container's filesystem as a whole, as docker's CLI shows them. */
import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { StatusError, type CliContext } from '../command.js';
import { readAll } from '../../client/docker-client.js';
import { out } from './common.js';
import { parseTagTarget } from './image-ops.js';

const KINDS = ['C', 'A', 'D'];

/** docker diff: one "<kind> <path>" line per change. */
export async function diffAction(ctx: CliContext, o: { container: string }): Promise<void> {
  const changes = await ctx.client().json<{ Path: string; Kind: number }[] | null>('GET', `/containers/${encodeURIComponent(o.container)}/changes`);
  for (const c of changes ?? []) out(ctx, `${KINDS[c.Kind] ?? '?'} ${c.Path}\n`);
}

/** docker export: the tar on stdout (never onto a terminal) or into -o FILE. */
export async function exportAction(ctx: CliContext, o: { container: string; output: string }): Promise<void> {
  if (!o.output && ctx.streams.out.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  if (o.output) {
    // Checked before the daemon does any work, as docker's ValidateOutputPath does.
    const dir = path.dirname(path.resolve(o.output));
    const st = await fsp.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new StatusError(1, `failed to export container: invalid output path: directory ${JSON.stringify(dir)} does not exist`);
  }
  const res = await ctx.client().containerExport(o.container);
  const dest = o.output ? createWriteStream(o.output) : ctx.streams.out;
  await new Promise<void>((resolve, reject) => {
    res.on('error', reject);
    dest.on('error', reject);
    if (o.output) {
      dest.on('finish', resolve);
      res.pipe(dest);
    } else {
      res.on('end', resolve);
      res.pipe(dest, { end: false });
    }
  });
}

export interface CommitOptions {
  container: string;
  reference?: string;
  author: string;
  message: string;
  changes: string[];
  pause: boolean;
}

/** docker commit: prints the new image's ID. */
export async function commitAction(ctx: CliContext, o: CommitOptions): Promise<void> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (o.reference) ({ repo, tag } = parseTagTarget(o.reference));
  const q = new URLSearchParams({ container: o.container, pause: o.pause ? '1' : '0' });
  if (repo) q.set('repo', repo);
  if (tag) q.set('tag', tag);
  if (o.message) q.set('comment', o.message);
  if (o.author) q.set('author', o.author);
  for (const c of o.changes) q.append('changes', c);
  const res = await ctx.client().request('POST', `/commit?${q.toString()}`, { body: {} });
  const body = JSON.parse((await readAll(res)).toString('utf8')) as { Id: string };
  out(ctx, `${body.Id}\n`);
}
