import type { Router } from '../router.js';
import { filtersParam } from '../router.js';
import type { EventBus, EngineEvent } from '../../engine/events.js';
import { eventFilter } from '../../engine/events-filter.js';
import { parseTimeParam } from '../../engine/containers/container-logs.js';
import { InvalidParameterError } from '../../lib/errors.js';

/** SystemEvents: past events from `since`, then live ones until `until` or the client leaves. */
export function eventRoutes(r: Router, events: EventBus): void {
  r.add('GET', '/events', 'SystemEvents', async (ctx) => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const since = parseTimeParam(ctx.query.get('since'));
    const until = parseTimeParam(ctx.query.get('until'));
    if (since !== undefined && until !== undefined && until < since) {
      throw new InvalidParameterError(`since time (${ctx.query.get('since')}) cannot be after until time (${ctx.query.get('until')})`);
    }
    const keep = eventFilter(filtersParam(ctx.query));
    const res = ctx.stream(200, 'application/json');
    const send = (e: EngineEvent): void => {
      if (keep(e)) res.write(JSON.stringify(e) + '\n');
    };
    const inRange = (e: EngineEvent): boolean => BigInt(e.timeNano) <= (until ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n);
    // Subscribe first, so nothing falls between the history and the live feed.
    const buffered: EngineEvent[] = [];
    let live = false;
    const unsubscribe = events.subscribe((e) => {
      if (!inRange(e)) return;
      if (live) send(e);
      else buffered.push(e);
    });
    const replayed = new Set<EngineEvent>(since !== undefined ? events.since(Number(since)) : []);
    for (const e of replayed) if (inRange(e)) send(e);
    live = true;
    for (const e of buffered) if (!replayed.has(e)) send(e);
    if (until !== undefined && until <= now) {
      unsubscribe();
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      res.on('close', resolve);
      if (until !== undefined) {
        const t = setTimeout(() => {
          res.end();
          resolve();
        }, Number((until - now) / 1_000_000n));
        res.on('close', () => clearTimeout(t));
      }
    });
    unsubscribe();
  });
}
