import type { Router } from '../router.js';
import { boolParam } from '../router.js';
import type { EventBus } from '../../engine/events.js';
import { containerChanges, upperDirOf } from '../../engine/containers/container-changes.js';
import { commitContainer, type CommitContainers, type CommitImages } from '../../engine/containers/container-commit.js';
import type { ContainerConfig } from '../../engine/containers/container-record.js';
import { exportContainer } from '../../engine/containers/container-export.js';
import { NotFoundError } from '../../lib/errors.js';

export interface ContainerFsDeps {
  containers: CommitContainers;
  images: CommitImages;
  events: EventBus;
}

/** A container's filesystem as a whole: diff, export, commit (moby's ContainerChanges, ContainerExport, ImageCommit). */
export function containerFsRoutes(r: Router, deps: ContainerFsDeps): void {
  // ContainerChanges
  r.add('GET', '/containers/:id/changes', 'ContainerChanges', async (ctx) => {
    const rec = deps.containers.resolve(ctx.params.id);
    const changes = await containerChanges(upperDirOf(deps.containers.dataRoot(), rec), rec.LayerDirs);
    // dockerd encodes an empty (nil) list as null.
    ctx.send(200, changes.length ? changes : null);
  });

  // ContainerExport
  r.add('GET', '/containers/:id/export', 'ContainerExport', async (ctx) => {
    let started = false;
    await exportContainer(deps, ctx.params.id, () => {
      started = true;
      return ctx.stream(200, 'application/x-tar');
    });
    if (started) ctx.res!.end();
  });

  // ImageCommit
  r.add('POST', '/commit', 'ImageCommit', async (ctx) => {
    const q = ctx.query;
    const container = q.get('container') ?? '';
    if (!container) throw new NotFoundError('No such container: ');
    const config = await ctx.json<Partial<ContainerConfig>>();
    const pause = q.get('pause') === null || q.get('pause') === '' ? true : boolParam(q, 'pause');
    const id = await commitContainer(deps, container, {
      repo: q.get('repo') ?? '',
      tag: q.get('tag') ?? '',
      comment: q.get('comment') ?? '',
      author: q.get('author') ?? '',
      pause,
      changes: q.getAll('changes').filter((c) => c !== ''),
      config: config && typeof config === 'object' && Object.keys(config).length ? config : undefined,
    });
    ctx.send(201, { Id: id });
  });
}
