/**
 * `stats`: docker's RunStats — one stats stream per container, the table redrawn every
 * half second (cursor home, each line cleared, the rest of the screen cleared), or one
 * table with --no-stream. Without names, containers come and go with the daemon's events.
 */
import type { IncomingMessage } from 'node:http';
import { StatusError, type CliContext } from '../command.js';
import { jsonLines } from '../../client/json-stream.js';
import { invalidEntry, renderStats, statsEntryFrom, type StatsEntry, type StatsJSONLike } from '../format/stats-format.js';
import { errorText, out } from './common.js';

export interface StatsOptions {
  containers: string[];
  all: boolean;
  noStream: boolean;
  noTrunc: boolean;
  format: string;
}

/** One container being watched (docker's Stats). */
interface Watched {
  entry: StatsEntry;
  err?: string;
  /** When the last sample arrived (for docker's 2 s staleness rule). */
  at: number;
  res?: IncomingMessage;
  first: Promise<void>;
}

const REDRAW_MS = 500;
const STALE_MS = 2000;

export async function statsAction(ctx: CliContext, o: StatsOptions): Promise<void> {
  const client = ctx.client();
  const watched = new Map<string, Watched>();
  const stream = !o.noStream;
  let stopped = false;

  const watch = (key: string): void => {
    if (watched.has(key)) return;
    const w: Watched = {
      entry: { ...invalidEntry({ container: key } as StatsEntry), isInvalid: false, name: '', id: '' },
      at: Date.now(),
      first: Promise.resolve(),
    };
    let gotFirst!: () => void;
    w.first = new Promise((r) => (gotFirst = r));
    watched.set(key, w);
    void (async () => {
      try {
        const res = await client.request('GET', `/containers/${encodeURIComponent(key)}/stats`, { query: { stream } });
        w.res = res;
        for await (const v of jsonLines<StatsJSONLike>(res)) {
          w.entry = statsEntryFrom(key, v);
          w.err = undefined;
          w.at = Date.now();
          gotFirst();
          if (!stream || stopped) break;
        }
      } catch (e) {
        if (!stopped) {
          w.err = errorText(e);
          w.entry = invalidEntry(w.entry);
        }
      } finally {
        gotFirst();
        w.res?.destroy();
      }
    })();
  };
  const unwatch = (key: string): void => {
    watched.get(key)?.res?.destroy();
    watched.delete(key);
  };

  const showAll = o.containers.length === 0;
  let events: IncomingMessage | undefined;
  try {
    if (showAll) {
      // Subscribed before the list, so a container started in between is not missed.
      try {
        events = await client.events({ filters: { type: ['container'] } });
        const adds = new Set(o.all ? ['start', 'create'] : ['start']);
        const removes = new Set(o.all ? ['destroy'] : ['destroy', 'die']);
        void (async () => {
          try {
            for await (const e of jsonLines<{ Action?: string; Actor?: { ID?: string } }>(events!)) {
              const id = e.Actor?.ID;
              if (!id || !e.Action) continue;
              if (adds.has(e.Action)) watch(id);
              else if (removes.has(e.Action)) unwatch(id);
            }
          } catch {
            /* the event stream ended: keep showing what we have */
          }
        })();
      } catch {
        // No events from this daemon: the list below is all there is.
      }
      for (const c of await client.containerList({ all: o.all })) watch(c.Id);
      await Promise.all([...watched.values()].map((w) => w.first));
    } else {
      for (const name of o.containers) watch(name);
      await Promise.all([...watched.values()].map((w) => w.first));
      const errors = [...watched.values()].filter((w) => w.err).map((w) => w.err!);
      if (errors.length) throw new StatusError(1, errors.join('\n'));
    }

    const rows = (): StatsEntry[] =>
      [...watched.values()].map((w) => (stream && Date.now() - w.at > STALE_MS ? invalidEntry(w.entry) : w.entry));

    if (!stream) {
      if (watched.size) out(ctx, renderStats(o.format, rows(), !o.noTrunc));
      return;
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, REDRAW_MS));
      if (watched.size === 0 && !showAll) {
        out(ctx, '\x1b[H\x1b[J');
        return;
      }
      const text = renderStats(o.format, rows(), !o.noTrunc);
      let frame = '\x1b[H';
      for (const line of text.split('\n')) frame += `${line}\x1b[K\n`;
      out(ctx, `${frame}\x1b[J`);
    }
  } finally {
    stopped = true;
    events?.destroy();
    for (const w of watched.values()) w.res?.destroy();
  }
}
