import { PassThrough } from 'node:stream';
import type { RequestContext, Router } from '../router.js';
import { boolParam, filtersParam } from '../router.js';
import { jsonLines } from '../server.js';
import type { ImageService } from '../../engine/images/image-service.js';
import { InvalidParameterError, NotImplementedError } from '../../lib/errors.js';
import { pullFromImage } from './distribution.js';

/**
 * The image routes (moby's router/image). Handlers only translate HTTP to ImageService
 * calls; errors are classed where they happen and mapped to statuses by the server.
 */
export function imageRoutes(r: Router, images: ImageService): void {
  r.add('GET', '/images/json', 'ImageList', (ctx) => getImagesJSON(ctx, images));
  r.add('POST', '/images/load', 'ImageLoad', (ctx) => postImagesLoad(ctx, images));
  r.add('GET', '/images/get', 'ImageGetAll', (ctx) => getImagesGet(ctx, images, ctx.query.getAll('names')));
  r.add('POST', '/images/create', 'ImageCreate', (ctx) => postImagesCreate(ctx, images));
  r.add('POST', '/images/prune', 'ImagePrune', (ctx) => postImagesPrune(ctx, images));
  r.add('GET', '/images/:name*/json', 'ImageInspect', async (ctx) => ctx.send(200, images.inspect(ctx.params.name, ctx.apiVersion)));
  r.add('GET', '/images/:name*/history', 'ImageHistory', async (ctx) => ctx.send(200, images.history(ctx.params.name)));
  r.add('GET', '/images/:name*/get', 'ImageGet', (ctx) => getImagesGet(ctx, images, [ctx.params.name]));
  r.add('POST', '/images/:name*/tag', 'ImageTag', async (ctx) => {
    await images.tag(ctx.params.name, ctx.query.get('repo') ?? '', ctx.query.get('tag') ?? '');
    ctx.send(201);
  });
  r.add('DELETE', '/images/:name*', 'ImageDelete', async (ctx) => {
    const items = await images.remove(ctx.params.name, {
      force: boolParam(ctx.query, 'force'),
      prune: !boolParam(ctx.query, 'noprune'),
    });
    ctx.send(200, items);
  });
}

/**
 * The request body, decoupled from the socket: if the handler fails before reading all
 * of it, the error response still reaches the client (the server drains the rest)
 * instead of the connection being torn down with the body stream.
 */
function detachedBody(ctx: RequestContext): NodeJS.ReadableStream {
  const pt = new PassThrough({ highWaterMark: 1 << 20 });
  ctx.bodyStream().pipe(pt);
  return pt;
}

async function getImagesJSON(ctx: RequestContext, images: ImageService): Promise<void> {
  const filters = filtersParam(ctx.query);
  // The legacy `filter=name` parameter is a reference filter.
  const legacy = ctx.query.get('filter');
  if (legacy) filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
  ctx.send(200, images.list({ all: boolParam(ctx.query, 'all'), filters, apiVersion: ctx.apiVersion }));
}

async function postImagesLoad(ctx: RequestContext, images: ImageService): Promise<void> {
  const quiet = boolParam(ctx.query, 'quiet');
  const prepared = await images.prepareLoad(detachedBody(ctx));
  let res;
  try {
    res = ctx.stream(200, 'application/json');
  } catch (err) {
    await prepared.dispose();
    throw err;
  }
  await prepared.run(jsonLines(res), quiet);
  res.end();
}

async function getImagesGet(ctx: RequestContext, images: ImageService, names: string[]): Promise<void> {
  const save = images.prepareSave(names.filter(Boolean));
  const res = ctx.stream(200, 'application/x-tar');
  await save.write(res);
}

async function postImagesCreate(ctx: RequestContext, images: ImageService): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage');
  const fromSrc = q.get('fromSrc');
  if (fromImage) return pullFromImage(ctx, images, fromImage);
  if (fromSrc === '-') {
    const id = await images.importImage(detachedBody(ctx), {
      repo: q.get('repo') ?? '',
      tag: q.get('tag') ?? '',
      message: q.get('message') ?? '',
      changes: q.getAll('changes').filter((c) => c !== ''),
      src: '-',
    });
    const res = ctx.stream(200, 'application/json');
    jsonLines(res)({ status: id });
    res.end();
    return;
  }
  if (fromSrc) throw new NotImplementedError('importing from a URL is not supported: send the archive in the request body (fromSrc=-)');
  throw new InvalidParameterError('either fromImage or fromSrc must be given');
}

async function postImagesPrune(ctx: RequestContext, images: ImageService): Promise<void> {
  ctx.send(200, await images.prune(filtersParam(ctx.query)));
}
