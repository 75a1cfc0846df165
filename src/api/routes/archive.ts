import type { Router } from '../router.js';
import { boolParam } from '../router.js';
import type { ContainerArchive } from '../../engine/containers/container-archive.js';
import type { PathStat } from '../../drivers/storage/rooted-fs.js';

/** The stat header of the archive routes: base64 of the PathStat JSON. */
export function pathStatHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** docker cp's routes (moby's router/container/copy.go). */
export function archiveRoutes(r: Router, archive: ContainerArchive): void {
  // ContainerArchiveInfo
  r.add('HEAD', '/containers/:id/archive', 'ContainerArchiveInfo', async (ctx) => {
    const stat = await archive.stat(ctx.params.id, ctx.query.get('path') ?? '');
    ctx.res?.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(stat));
    ctx.send(200);
  });

  // ContainerArchive
  r.add('GET', '/containers/:id/archive', 'ContainerArchive', async (ctx) => {
    let started = false;
    await archive.get(ctx.params.id, ctx.query.get('path') ?? '', (stat) => {
      started = true;
      return ctx.stream(200, 'application/x-tar', { 'X-Docker-Container-Path-Stat': pathStatHeader(stat) });
    });
    if (started) ctx.res!.end();
  });

  // PutContainerArchive
  r.add('PUT', '/containers/:id/archive', 'PutContainerArchive', async (ctx) => {
    const q = ctx.query;
    const noOverwrite = q.has('noOverwriteDirNonDir') && boolParam(q, 'noOverwriteDirNonDir');
    await archive.put(ctx.params.id, q.get('path') ?? '', ctx.bodyStream() as never, {
      noOverwriteDirNonDir: noOverwrite,
      copyUIDGID: boolParam(q, 'copyUIDGID'),
    });
    ctx.send(200);
  });
}
