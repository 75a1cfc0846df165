import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { withOverlayView } from '../../drivers/storage/overlay-view.js';
import { RootedFs } from '../../drivers/storage/rooted-fs.js';
import { packTree, writeTar } from '../../drivers/storage/rooted-tar.js';
import type { EventBus } from '../events.js';
import { upperDirOf } from './container-changes.js';
import type { ContainerRecord } from './container-record.js';

/** What export needs of the containers engine. */
export interface ExportContainers {
  resolve(ref: string): ContainerRecord;
  dataRoot(): string;
}

/**
 * docker export: a tar of the container's own filesystem — its layer over its image's,
 * without volumes, bind mounts or pseudo filesystems — read from a read-only overlay view,
 * so it works for running and stopped containers alike. `open` gives the destination once
 * the view is ready (errors before it are still plain HTTP errors).
 */
export async function exportContainer(deps: { containers: ExportContainers; events: EventBus }, ref: string, open: () => Writable): Promise<void> {
  const rec = deps.containers.resolve(ref);
  const containerDir = path.dirname(upperDirOf(deps.containers.dataRoot(), rec));
  const layers = [upperDirOf(deps.containers.dataRoot(), rec), ...[...rec.LayerDirs].reverse()];
  await withOverlayView(layers, containerDir, async (dir) => {
    const rfs = await RootedFs.open(dir);
    try {
      const out = open();
      await writeTar(out, (pack, signal) => packTree(rfs.rootFd, '', '/', pack, { rebaseName: '', signal }));
    } finally {
      await rfs.close();
    }
  });
  deps.events.publish('container', 'export', rec.Id, { ...rec.Config.Labels, image: rec.Config.Image, name: rec.Name.slice(1) });
}
