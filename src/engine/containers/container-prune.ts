import { InvalidParameterError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { parseTimeParam } from './container-logs.js';
import type { ContainerRecord } from './container-record.js';
import { matchLabel } from './container-view.js';

export interface PruneTarget {
  all(): ContainerRecord[];
  sizeRw(id: string): Promise<number>;
  remove(ref: string, force: boolean): Promise<void>;
}

/** POST /containers/prune: removes stopped containers matching `until` and `label`/`label!`. */
export async function pruneContainers(
  target: PruneTarget,
  filters: Map<string, string[]>,
): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  for (const k of filters.keys()) {
    if (!['until', 'label', 'label!'].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  }
  const untils = (filters.get('until') ?? []).map((u) => parseTimeParam(u));
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const rec of target.all()) {
    if (rec.State.Running || rec.State.Status === 'removing') continue;
    const created = BigInt(Date.parse(rec.Created)) * 1_000_000n;
    if (untils.some((u) => u !== undefined && created >= u)) continue;
    const labels = rec.Config.Labels ?? {};
    if (!(filters.get('label') ?? []).every((l) => matchLabel(labels, l))) continue;
    if ((filters.get('label!') ?? []).some((l) => matchLabel(labels, l))) continue;
    try {
      const size = await target.sizeRw(rec.Id);
      await target.remove(rec.Id, false);
      deleted.push(rec.Id);
      reclaimed += size;
    } catch (err) {
      // Started or removed meanwhile: not ours to prune any more.
      log.debug('prune skipped a container', { id: rec.Id, err: errorMessage(err) });
    }
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
