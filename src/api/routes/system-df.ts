import type { Router } from '../router.js';
import { filtersParam } from '../router.js';
import type { ContainerService } from '../../engine/containers/container-service.js';
import { pruneContainers } from '../../engine/containers/container-prune.js';
import { summaryView } from '../../engine/containers/container-view.js';

/** What disk usage needs of the image store. */
export interface ImagesForDf {
  list(opts: { all?: boolean; apiVersion: string }): Record<string, unknown>[];
  layersSize(): Promise<number>;
}

export function systemDfRoutes(r: Router, containers: ContainerService, images: ImagesForDf): void {
  // SystemDataUsage
  r.add('GET', '/system/df', 'SystemDataUsage', async (ctx) => {
    const recs = containers.all();
    const now = Date.now();
    const imgs = images.list({ all: true, apiVersion: ctx.apiVersion });
    const sizes = new Map<string, number>();
    await Promise.all(recs.map(async (c) => sizes.set(c.Id, await containers.sizeRw(c.Id))));
    const imageSize = new Map(imgs.map((i) => [i.Id as string, Number(i.Size ?? 0)]));
    const ctrs = recs.map((c) => ({
      ...summaryView(c, now),
      SizeRw: sizes.get(c.Id) ?? 0,
      SizeRootFs: (sizes.get(c.Id) ?? 0) + (imageSize.get(c.Image) ?? 0),
    }));
    const images2 = imgs.map((i) => ({ ...i, Containers: recs.filter((c) => c.Image === i.Id).length, SharedSize: -1 }));
    ctx.send(200, {
      LayersSize: await images.layersSize(),
      Images: images2,
      Containers: ctrs,
      Volumes: [],
      BuildCache: [],
    });
  });

  // BuildPrune: berth keeps no build cache yet, so there is never anything to prune.
  r.add('POST', '/build/prune', 'BuildPrune', async (ctx) => {
    ctx.send(200, { CachesDeleted: null, SpaceReclaimed: 0 });
  });

  // VolumeList / VolumePrune: named volumes are not implemented yet, so there are none.
  r.add('GET', '/volumes', 'VolumeList', async (ctx) => {
    ctx.send(200, { Volumes: [], Warnings: null });
  });
  r.add('POST', '/volumes/prune', 'VolumePrune', async (ctx) => {
    ctx.send(200, { VolumesDeleted: null, SpaceReclaimed: 0 });
  });

  // ContainerPrune
  r.add('POST', '/containers/prune', 'ContainerPrune', async (ctx) => {
    ctx.send(200, await pruneContainers(containers, filtersParam(ctx.query)));
  });
}
