import type { Router } from '../router.js';
import { boolParam, filtersParam, intParam } from '../router.js';
import { batchingWriter, outputWriter } from '../stream.js';
import type { ContainerService, WaitCondition } from '../../engine/containers/container-service.js';
import type { CreateRequest } from '../../engine/containers/container-create.js';
import { inspectView, listContainers, summaryView } from '../../engine/containers/container-view.js';
import { parseTimeParam } from '../../engine/containers/container-logs.js';
import { InvalidParameterError, NotFoundError } from '../../lib/errors.js';

/** Lets the list filter `ancestor` name an image. */
export interface ImageLookup {
  get(ref: string): Promise<{ id: string }>;
  inspect(ref: string, apiVersion: string): Record<string, unknown>;
}

export function containerRoutes(r: Router, containers: ContainerService, images?: ImageLookup, execIds?: (id: string) => string[] | null): void {
  // ContainerList
  r.add('GET', '/containers/json', 'ContainerList', async (ctx) => {
    const list = await listContainers(containers.all(), {
      all: boolParam(ctx.query, 'all'),
      limit: intParam(ctx.query, 'limit'),
      filters: filtersParam(ctx.query),
      resolve: (ref) => containers.resolve(ref),
      imageIds: async (ref) => {
        if (!images) return undefined;
        try {
          return (await images.get(ref)).id;
        } catch (err) {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        }
      },
    });
    const now = Date.now();
    const views = list.map((c) => summaryView(c, now));
    if (boolParam(ctx.query, 'size')) {
      await Promise.all(
        views.map(async (v, i) => {
          v.SizeRw = await containers.sizeRw(list[i].Id);
          let imageSize = 0;
          try {
            imageSize = Number(images?.inspect(list[i].Image, ctx.apiVersion).Size ?? 0);
          } catch {
            /* the image may be gone (force-removed) */
          }
          v.SizeRootFs = (v.SizeRw as number) + imageSize;
        }),
      );
    }
    ctx.send(200, views);
  });

  // ContainerCreate
  r.add('POST', '/containers/create', 'ContainerCreate', async (ctx) => {
    const body = await ctx.json<CreateRequest>();
    if (body === undefined) throw new InvalidParameterError('config cannot be empty in order to create a container');
    const res = await containers.create(body, ctx.query.get('name') ?? undefined);
    ctx.send(201, res);
  });

  // ContainerInspect
  r.add('GET', '/containers/:id/json', 'ContainerInspect', async (ctx) => {
    const rec = containers.resolve(ctx.params.id);
    ctx.send(200, { ...inspectView(rec, containers.dataRoot()), ExecIDs: execIds?.(rec.Id) ?? null });
  });

  // ContainerStart
  r.add('POST', '/containers/:id/start', 'ContainerStart', async (ctx) => {
    await containers.start(ctx.params.id);
    ctx.send(204);
  });

  // ContainerStop
  r.add('POST', '/containers/:id/stop', 'ContainerStop', async (ctx) => {
    await containers.stop(ctx.params.id, intParam(ctx.query, 't'), ctx.query.get('signal') ?? undefined);
    ctx.send(204);
  });

  // ContainerRestart
  r.add('POST', '/containers/:id/restart', 'ContainerRestart', async (ctx) => {
    await containers.restart(ctx.params.id, intParam(ctx.query, 't'), ctx.query.get('signal') ?? undefined);
    ctx.send(204);
  });

  // ContainerKill
  r.add('POST', '/containers/:id/kill', 'ContainerKill', async (ctx) => {
    await containers.kill(ctx.params.id, ctx.query.get('signal') ?? undefined);
    ctx.send(204);
  });

  // ContainerPause / ContainerUnpause
  r.add('POST', '/containers/:id/pause', 'ContainerPause', async (ctx) => {
    await containers.pause(ctx.params.id);
    ctx.send(204);
  });
  r.add('POST', '/containers/:id/unpause', 'ContainerUnpause', async (ctx) => {
    await containers.unpause(ctx.params.id);
    ctx.send(204);
  });

  // ContainerRename
  r.add('POST', '/containers/:id/rename', 'ContainerRename', async (ctx) => {
    await containers.rename(ctx.params.id, ctx.query.get('name') ?? '');
    ctx.send(204);
  });

  // ContainerDelete
  r.add('DELETE', '/containers/:id', 'ContainerDelete', async (ctx) => {
    await containers.remove(ctx.params.id, boolParam(ctx.query, 'force'));
    ctx.send(204);
  });

  // ContainerWait: headers go out once the waiter is registered (clients rely on it), the body at exit.
  r.add('POST', '/containers/:id/wait', 'ContainerWait', async (ctx) => {
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) {
      throw new InvalidParameterError(`invalid condition: "${cond}"`);
    }
    const { ready } = containers.wait(ctx.params.id, cond);
    const res = ctx.stream(200, 'application/json');
    const gone = new Promise<void>((resolve) => res.on('close', () => resolve()));
    const code = await Promise.race([ready, gone.then(() => undefined)]);
    if (code === undefined) return;
    res.end(JSON.stringify({ StatusCode: code, Error: null }) + '\n');
  });

  // ContainerLogs
  r.add('GET', '/containers/:id/logs', 'ContainerLogs', async (ctx) => {
    const q = ctx.query;
    const stdout = boolParam(q, 'stdout');
    const stderr = boolParam(q, 'stderr');
    if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
    const rec = containers.resolve(ctx.params.id);
    const tailRaw = q.get('tail');
    let tail: number | undefined;
    if (tailRaw && tailRaw !== 'all') {
      tail = Number(tailRaw);
      if (!Number.isInteger(tail)) throw new InvalidParameterError(`invalid value for tail: ${tailRaw}`);
      if (tail < 0) tail = undefined;
    }
    const opts = {
      stdout,
      stderr,
      follow: boolParam(q, 'follow'),
      timestamps: boolParam(q, 'timestamps'),
      since: parseTimeParam(q.get('since')),
      until: parseTimeParam(q.get('until')),
      tail,
    };
    const tty = rec.Config.Tty;
    const res = ctx.stream(200, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const cancelled = new Promise<void>((resolve) => res.on('close', () => resolve()));
    const { write, flush } = batchingWriter(res, tty);
    await containers.logs(ctx.params.id, opts, (s, d) => write(s, d), cancelled, flush);
    flush();
    res.end();
  });

  // ContainerUpdate
  r.add('POST', '/containers/:id/update', 'ContainerUpdate', async (ctx) => {
    ctx.send(200, await containers.update(ctx.params.id, (await ctx.json<Record<string, unknown>>()) ?? {}));
  });

  // ContainerTop
  r.add('GET', '/containers/:id/top', 'ContainerTop', async (ctx) => {
    ctx.send(200, await containers.top(ctx.params.id, ctx.query.get('ps_args') ?? ''));
  });

  // ContainerResize
  r.add('POST', '/containers/:id/resize', 'ContainerResize', async (ctx) => {
    await containers.resize(ctx.params.id, intParam(ctx.query, 'h') ?? 0, intParam(ctx.query, 'w') ?? 0);
    ctx.send(200);
  });

  // ContainerAttach (hijacked)
  r.add('POST', '/containers/:id/attach', 'ContainerAttach', async (ctx) => {
    const rec = containers.resolve(ctx.params.id);
    const q = ctx.query;
    const params = {
      stdin: boolParam(q, 'stdin'),
      stdout: boolParam(q, 'stdout'),
      stderr: boolParam(q, 'stderr'),
      logs: boolParam(q, 'logs'),
      stream: boolParam(q, 'stream'),
      detachKeys: q.get('detachKeys') ?? undefined,
    };
    if (params.detachKeys) {
      // Validate before hijacking so the error is a proper HTTP answer.
      const { parseDetachKeys } = await import('../../engine/containers/container-attach.js');
      parseDetachKeys(params.detachKeys);
    }
    const tty = rec.Config.Tty;
    const sock = ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const write = outputWriter(sock, tty);
    await containers.attach(ctx.params.id, sock, params, write);
  });
}
