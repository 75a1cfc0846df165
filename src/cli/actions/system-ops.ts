/** `events`, `system df` and `system prune`, as docker's system commands do them. */
import { ApiError } from '../../client/api-error.js';
import { parseFilterArgs, type Filters } from '../../client/docker-client.js';
import type { EventMessage, PruneReport } from '../../client/types.js';
import { StatusError, type CliContext } from '../command.js';
import { renderOne, TemplateError } from '../format/formatter.js';
import { emptyEventRow, eventRow, eventTimeNano, formatDiskUsage, formatEventLine, imagesPrunedSection, pruneSection, pruneSummary, systemPruneWarning } from '../format/system-format.js';
import { confirmOrCancel } from '../prompt.js';
import { getTimestamp, TimestampError } from '../timestamps.js';
import { out } from './common.js';

export interface EventsOptions {
  since: string;
  until: string;
  filters: string[];
  format: string;
}

/** docker's makeTemplate: `json` is `{{json .}}`; a template must run on an empty event. */
function eventTemplate(format: string): string | undefined {
  if (format === '') return undefined;
  const f = format === 'json' ? '{{json .}}' : format;
  try {
    renderOne(f, emptyEventRow());
  } catch (e) {
    // docker parses this template itself, without its formatter's "template parsing error" prefix.
    if (e instanceof TemplateError) throw new StatusError(64, `Error parsing format: ${e.message.replace(/^template parsing error: /, '')}`);
    throw e;
  }
  return f;
}

/**
 * Streams GET /events: one line per event (docker's pretty line, or the template),
 * until the daemon ends the stream (`--until`) or the user stops it.
 */
export async function eventsAction(ctx: CliContext, o: EventsOptions): Promise<void> {
  const template = eventTemplate(o.format);
  const now = ctx.now();
  let since = '';
  let until = '';
  try {
    if (o.since) since = getTimestamp(o.since, now);
    if (o.until) until = getTimestamp(o.until, now);
  } catch (e) {
    if (e instanceof TimestampError) throw new StatusError(1, e.message);
    throw e;
  }
  const res = await ctx.client().events({ since, until, filters: parseFilterArgs(o.filters) });
  const stdout = ctx.streams.out;
  // A reader that went away (`berth events | head`) ends the stream quietly.
  let closed = false;
  const onError = (): void => {
    closed = true;
    res.destroy();
  };
  stdout.on('error', onError);
  try {
    let pending = '';
    const handle = (line: string): void => {
      if (!line.trim()) return;
      const ev = JSON.parse(line) as EventMessage;
      const ns = eventTimeNano(ev, line);
      stdout.write(template ? `${renderOne(template, eventRow(ev, ns))}\n` : formatEventLine(ev, ns));
    };
    try {
      for await (const chunk of res) {
        pending += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          handle(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      }
      handle(pending);
    } catch (e) {
      if (closed) return;
      if (e instanceof TemplateError) throw new StatusError(1, e.message.replace(/^template parsing error: /, ''));
      throw e;
    }
  } finally {
    stdout.off('error', onError);
  }
}

export async function dfAction(ctx: CliContext, o: { format: string; verbose: boolean }): Promise<void> {
  const du = await ctx.client().diskUsage();
  out(ctx, formatDiskUsage(du, { format: o.format, verbose: o.verbose, now: ctx.now() }));
}

export interface SystemPruneOptions {
  all: boolean;
  volumes: boolean;
  force: boolean;
  filters: string[];
}

/** A prune endpoint the daemon does not have (404) is skipped: there is nothing of that kind to prune. */
async function unlessMissing(p: Promise<PruneReport>): Promise<PruneReport> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return {};
    throw e;
  }
}

/**
 * docker's system prune: asks (unless -f), then prunes containers, networks,
 * anonymous volumes (--volumes), images (dangling, or all unused with -a) and build
 * cache, each with the filters given, and reports what went and the space reclaimed.
 */
export async function systemPruneAction(ctx: CliContext, o: SystemPruneOptions): Promise<void> {
  const filters: Filters = parseFilterArgs(o.filters);
  if (o.volumes && filters.until) throw new StatusError(1, 'ERROR: The "until" filter is not supported with "--volumes"');
  if (!o.force) await confirmOrCancel(ctx, systemPruneWarning({ all: o.all, volumes: o.volumes, buildCache: true, filters }));
  const client = ctx.client();
  let space = 0;
  // Each part is reported as soon as it is done, as docker does (a later failure leaves it shown).
  const report = (section: string): void => {
    if (section) out(ctx, `${section}\n`);
  };

  const containers = await client.containerPrune(filters);
  report(pruneSection('Deleted Containers:', containers.ContainersDeleted));
  if ((containers.ContainersDeleted ?? []).length > 0) space += containers.SpaceReclaimed ?? 0;

  const networks = await unlessMissing(client.networkPrune(filters));
  report(pruneSection('Deleted Networks:', networks.NetworksDeleted));

  if (o.volumes) {
    const volumes = await unlessMissing(client.volumePrune(filters));
    report(pruneSection('Deleted Volumes:', volumes.VolumesDeleted));
    if ((volumes.VolumesDeleted ?? []).length > 0) space += volumes.SpaceReclaimed ?? 0;
  }

  const images = await client.imagePrune({ ...filters, dangling: [String(!o.all)] });
  report(imagesPrunedSection(images.ImagesDeleted));
  if ((images.ImagesDeleted ?? []).length > 0) space += images.SpaceReclaimed ?? 0;

  const cache = await unlessMissing(client.buildCachePrune({ all: o.all, filters }));
  report(pruneSection('Deleted build cache objects:', cache.CachesDeleted));
  space += cache.SpaceReclaimed ?? 0;

  out(ctx, pruneSummary([], space));
}
