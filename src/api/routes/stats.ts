import type { Router } from '../router.js';
import { boolParam } from '../router.js';
import { compareVersions } from '../server.js';
import type { ContainerStats } from '../../engine/containers/container-stats.js';

/** ContainerStats (moby's router/container getContainersStats). */
export function statsRoutes(r: Router, stats: ContainerStats): void {
  r.add('GET', '/containers/:id/stats', 'ContainerStats', async (ctx) => {
    const stream = boolParam(ctx.query, 'stream', true);
    const oneShot = compareVersions(ctx.apiVersion, '1.41') >= 0 && boolParam(ctx.query, 'one-shot', false);
    let res: ReturnType<typeof ctx.stream> | undefined;
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    await stats.serve(
      ctx.params.id,
      { stream, oneShot },
      (json) => {
        if (!res) {
          res = ctx.stream(200, 'application/json');
          res.on('close', closed);
        }
        res.write(json + '\n');
      },
      gone,
    );
    res?.end();
  });
}
