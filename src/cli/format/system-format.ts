/**
 * `events`, `system df` and `system prune` output, as docker's events command,
 * DiskUsageContext and prune commands compute it.
 */
import type { BuildCacheRecord, ContainerSummary, DiskUsage, EventMessage, ImageSummary, VolumeSummary } from '../../client/types.js';
import { humanDuration, humanSize, humanSizeWithPrecision, toEpochMs } from '../../lib/human.js';
import { localOffsetMinutes } from '../timestamps.js';
import { truncateId } from '../values.js';
import { containerRow } from './container-format.js';
import { headerRow, renderOne, renderRows, structRow, type TemplateRow } from './formatter.js';
import { familiarName, imageRow } from './image-format.js';

// --- events -------------------------------------------------------------------

/** An event's time in nanoseconds: the daemon's digits as sent (a double would round them). */
export function eventTimeNano(ev: EventMessage, line?: string): bigint {
  const raw = line ? /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1] : undefined;
  if (raw) return BigInt(raw);
  if (ev.timeNano) return BigInt(Math.round(ev.timeNano));
  return BigInt(Math.round(ev.time ?? 0)) * 1_000_000_000n;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/**
 * Go's "2006-01-02T15:04:05.000000000Z07:00" (docker's rfc3339NanoFixed) for a time in
 * nanoseconds, in the zone `offsetMinutes` east of UTC (the local one by default).
 */
export function rfc3339NanoFixed(ns: bigint, offsetMinutes?: number): string {
  const secs = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const frac = ns - secs * 1_000_000_000n;
  const ms = Number(secs) * 1000;
  const off = offsetMinutes ?? localOffsetMinutes(ms);
  const d = new Date(ms + off * 60_000);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac.toString().padStart(9, '0')}`;
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${date}T${time}${zone}`;
}

/**
 * docker's prettyPrintEvent: "<time> <type> <action> <actor id> (k=v, ...)", the
 * attributes sorted by key; no time when the event carries none.
 */
export function formatEventLine(ev: EventMessage, timeNano: bigint, offsetMinutes?: number): string {
  let s = '';
  if (timeNano !== 0n) s += `${rfc3339NanoFixed(timeNano, offsetMinutes)} `;
  else if (ev.time) s += `${rfc3339NanoFixed(BigInt(ev.time) * 1_000_000_000n, offsetMinutes)} `;
  s += `${ev.Type ?? ''} ${ev.Action ?? ''} ${ev.Actor?.ID ?? ''}`;
  const attrs = ev.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort(compareBytes);
  if (keys.length > 0) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return `${s}\n`;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * An event as templates see it: moby's events.Message, Go field names for
 * `{{.Actor.Attributes.name}}`, its JSON tags (and field order) for `{{json .}}`.
 */
export function eventRow(ev: EventMessage, timeNano: bigint): TemplateRow {
  const attributes = ev.Actor?.Attributes ?? null;
  // A nil map reads as empty in Go templates ({{.Actor.Attributes.name}} is <no value>), and marshals as null.
  const actor = structRow('events.Actor', { ID: ev.Actor?.ID ?? '', Attributes: attributes ?? {} });
  const json = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (ev.status) o.status = ev.status;
    if (ev.id) o.id = ev.id;
    if (ev.from) o.from = ev.from;
    o.Type = ev.Type ?? '';
    o.Action = ev.Action ?? '';
    const sorted = attributes ? Object.fromEntries(Object.keys(attributes).sort(compareBytes).map((k) => [k, attributes[k]])) : null;
    o.Actor = { ID: ev.Actor?.ID ?? '', Attributes: sorted };
    o.scope = ev.scope ?? '';
    o.time = ev.time ?? 0;
    o.timeNano = timeNano;
    return o;
  };
  const row = structRow('events.Message', {
    Status: ev.status ?? '',
    ID: ev.id ?? '',
    From: ev.from ?? '',
    Type: ev.Type ?? '',
    Action: ev.Action ?? '',
    Actor: actor,
    Scope: ev.scope ?? '',
    Time: ev.time ?? 0,
    TimeNano: timeNano,
  });
  Object.defineProperty(row, 'toJSON', { value: json, enumerable: false });
  return row;
}

/** The empty events.Message docker checks a user's template against before streaming. */
export function emptyEventRow(): TemplateRow {
  return eventRow({ Type: '', Action: '', Actor: { ID: '', Attributes: null }, scope: '', time: 0, timeNano: 0 }, 0n);
}

// --- system df ----------------------------------------------------------------

export const defaultDiskUsageTableFormat = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const defaultDiskUsageImageTableFormat = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const defaultDiskUsageContainerTableFormat = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const defaultDiskUsageVolumeTableFormat = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const defaultDiskUsageBuildCacheTableFormat = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

const summaryHeader = headerRow({ Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' });

/** "1.2MB (45%)" — the percentage as Go's integer division leaves it; none for an empty total. */
export function reclaimableText(reclaimable: number, total: number): string {
  if (total > 0) return `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)`;
  return humanSize(reclaimable);
}

function isActiveContainer(c: ContainerSummary): boolean {
  return c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
}

/** Build cache bytes docker counts: the records not shared with others. */
export function builderSize(du: DiskUsage): number {
  let n = 0;
  for (const bc of du.BuildCache ?? []) if (!bc.Shared) n += bc.Size;
  return n;
}

/** The four summary rows (Images, Containers, Local Volumes, Build Cache) of `system df`. */
export function diskUsageSummaryRows(du: DiskUsage): TemplateRow[] {
  const row = (type: string, total: number, active: number, size: string, reclaimable: string): TemplateRow =>
    structRow('diskUsageContext', { Active: String(active), Reclaimable: reclaimable, Size: size, TotalCount: String(total), Type: type });

  const images = du.Images ?? [];
  const layers = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) {
    if (i.Containers && i.Containers !== 0) {
      const shared = i.SharedSize ?? 0;
      if (i.Size === -1 || shared === -1) continue;
      used += i.Size - shared;
    }
  }
  const imageRowOut = row('Images', images.length, images.filter((i) => (i.Containers ?? 0) > 0).length, humanSize(layers), reclaimableText(layers - used, layers));

  const containers = du.Containers ?? [];
  let csize = 0;
  let creclaim = 0;
  for (const c of containers) {
    csize += c.SizeRw ?? 0;
    if (!isActiveContainer(c)) creclaim += c.SizeRw ?? 0;
  }
  const containerRowOut = row('Containers', containers.length, containers.filter(isActiveContainer).length, humanSize(csize), reclaimableText(creclaim, csize));

  const volumes = du.Volumes ?? [];
  let vsize = 0;
  let vreclaim = 0;
  for (const v of volumes) {
    const u = v.UsageData;
    if (!u || u.Size === -1) continue;
    if (u.RefCount === 0) vreclaim += u.Size;
    vsize += u.Size;
  }
  const volumeRowOut = row('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, humanSize(vsize), reclaimableText(vreclaim, vsize));

  const cache = du.BuildCache ?? [];
  const bsize = builderSize(du);
  let inUse = 0;
  for (const bc of cache) if (bc.InUse && !bc.Shared) inUse += bc.Size;
  const cacheRowOut = row('Build Cache', cache.length, cache.filter((bc) => bc.InUse).length, humanSize(bsize), humanSize(bsize - inUse));

  return [imageRowOut, containerRowOut, volumeRowOut, cacheRowOut];
}

/** docker's NewDiskUsageFormat for the summary (not verbose). */
function summaryFormat(source: string): string {
  if (source === '' || source === 'table') return defaultDiskUsageTableFormat;
  if (source === 'raw') return 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
  return source;
}

export interface DiskUsageOptions {
  format: string;
  verbose: boolean;
  now: Date;
  timeZone?: string;
}

function volumeRow(v: VolumeSummary): TemplateRow {
  const u = v.UsageData;
  return structRow('volumeContext', {
    Driver: v.Driver ?? '',
    Labels: Object.entries(v.Labels ?? {})
      .map(([k, val]) => `${k}=${val}`)
      .join(','),
    Links: u ? String(u.RefCount) : 'N/A',
    Mountpoint: v.Mountpoint ?? '',
    Name: v.Name,
    Scope: v.Scope ?? '',
    Size: u ? humanSize(u.Size) : 'N/A',
  });
}

function buildCacheRow(bc: BuildCacheRecord, trunc: boolean, now: Date): TemplateRow {
  let id = trunc ? truncateId(bc.ID) : bc.ID;
  if (bc.InUse) id += '*';
  const since = (t: string): string => `${humanDuration(now.getTime() - toEpochMs(t))} ago`;
  return structRow('buildCacheContext', {
    CacheType: bc.Type,
    CreatedAt: bc.CreatedAt,
    CreatedSince: since(bc.CreatedAt),
    Description: bc.Description ?? '',
    ID: id,
    InUse: String(bc.InUse),
    LastUsedAt: bc.LastUsedAt ?? '',
    LastUsedSince: bc.LastUsedAt ? since(bc.LastUsedAt) : '',
    Parent: (bc.Parents ?? (bc.Parent ? [bc.Parent] : [])).map((p) => (trunc ? truncateId(p) : p)).join(', '),
    Shared: String(bc.Shared),
    Size: humanSizeWithPrecision(bc.Size, 3),
    UsageCount: String(bc.UsageCount),
  });
}

/** docker's buildCacheSort: least recently used first, never-used last, stable. */
function sortBuildCache(list: BuildCacheRecord[]): BuildCacheRecord[] {
  return list
    .map((bc, i) => ({ bc, i }))
    .sort((a, b) => {
      const la = a.bc.LastUsedAt ? toEpochMs(a.bc.LastUsedAt) : undefined;
      const lb = b.bc.LastUsedAt ? toEpochMs(b.bc.LastUsedAt) : undefined;
      if (la === undefined && lb === undefined) return a.i - b.i;
      if (la === undefined) return 1;
      if (lb === undefined) return -1;
      return la === lb ? a.i - b.i : la - lb;
    })
    .map((x) => x.bc);
}

/** The image rows of `system df -v`: one per image, named by its first tag. */
function verboseImageRows(images: ImageSummary[], trunc: boolean, o: DiskUsageOptions): TemplateRow[] {
  const rows: TemplateRow[] = [];
  for (const img of images) {
    let repo = '<none>';
    let tag = '<none>';
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length > 0) {
      const ref = tags[0];
      const slash = ref.lastIndexOf('/');
      const colon = ref.lastIndexOf(':');
      if (colon > slash) {
        repo = familiarName(ref.slice(0, colon));
        tag = ref.slice(colon + 1);
      }
    }
    rows.push(imageRow(img, repo, tag, '', { trunc, digest: false, now: o.now, timeZone: o.timeZone }));
  }
  return rows;
}

/** `system df` output: the summary table (or template), or with -v the four detailed sections. */
export function formatDiskUsage(du: DiskUsage, o: DiskUsageOptions): string {
  if (!o.verbose) return renderRows(summaryFormat(o.format), diskUsageSummaryRows(du), summaryHeader);
  const source = o.format === '' ? 'table' : o.format;
  const trunc = source.startsWith('table');
  const images = verboseImageRows(du.Images ?? [], trunc, o);
  // The virtual size is not shown here.
  const containers = (du.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, { trunc, now: o.now, timeZone: o.timeZone }));
  const volumes = (du.Volumes ?? []).map(volumeRow);
  const cache = sortBuildCache(du.BuildCache ?? []).map((bc) => buildCacheRow(bc, trunc, o.now));
  if (source !== 'table') {
    // The template runs once over all four lists, with nothing added after it.
    const data = structRow('diskUsageContext', { Images: images, Containers: containers, Volumes: volumes, BuildCache: cache });
    return renderOne(source, data);
  }
  let s = 'Images space usage:\n\n';
  s += renderRows(defaultDiskUsageImageTableFormat, images, headerRow({ Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' }));
  s += '\nContainers space usage:\n\n';
  s += renderRows(
    defaultDiskUsageContainerTableFormat,
    containers,
    headerRow({ ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' }),
  );
  s += '\nLocal Volumes space usage:\n\n';
  s += renderRows(defaultDiskUsageVolumeTableFormat, volumes, headerRow({ Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }));
  s += `\nBuild cache usage: ${humanSize(builderSize(du))}\n\n`;
  s += renderRows(
    defaultDiskUsageBuildCacheTableFormat,
    cache,
    headerRow({ ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }),
  );
  return s;
}

// --- prune --------------------------------------------------------------------

/** sortorder.NaturalLess: digit runs compare as numbers, digits before other characters. */
export function naturalLess(a: string, b: string): boolean {
  const isDigit = (c: string): boolean => c >= '0' && c <= '9';
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i];
    const c2 = b[j];
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a[i])) i++;
    while (j < b.length && isDigit(b[j])) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

/** The confirmation text of `system prune` (docker's confirmationTemplate). */
export function systemPruneWarning(o: { all: boolean; volumes: boolean; buildCache: boolean; filters: Record<string, string[]> }): string {
  const warnings = ['all stopped containers', 'all networks not used by at least one container'];
  if (o.volumes) warnings.push('all anonymous volumes not used by at least one container');
  warnings.push(o.all ? 'all images without at least one container associated to them' : 'all dangling images');
  if (o.buildCache) warnings.push(o.all ? 'all build cache' : 'unused build cache');
  const filters: string[] = [];
  for (const name of ['label', 'label!', 'until']) for (const v of o.filters[name] ?? []) filters.push(`${name}=${v}`);
  filters.sort((x, y) => (naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0));
  let s = 'WARNING! This will remove:';
  for (const w of warnings) s += `\n  - ${w}`;
  s += '\n';
  if (filters.length > 0) {
    s += '\n  Items to be pruned will be filtered with:';
    for (const f of filters) s += `\n  - ${f}`;
    s += '\n';
  }
  return `${s}\nAre you sure you want to continue?`;
}

/** One prune's report section ("Deleted Containers:\n<id>\n..."), or '' when nothing went. */
export function pruneSection(title: string, items: string[] | null | undefined): string {
  if (!items || items.length === 0) return '';
  return `${title}\n${items.map((i) => `${i}\n`).join('')}`;
}

/** The "Deleted Images:" section: untagged references and deleted IDs, in order. */
export function imagesPrunedSection(items: { Untagged?: string; Deleted?: string }[] | null | undefined): string {
  if (!items || items.length === 0) return '';
  return `Deleted Images:\n${items.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`)).join('')}`;
}

/**
 * The whole report: each non-empty section followed by a blank line (docker prints
 * each with Println), then the total.
 */
export function pruneSummary(sections: string[], spaceReclaimed: number): string {
  let s = '';
  for (const sec of sections) if (sec) s += `${sec}\n`;
  return `${s}Total reclaimed space: ${humanSize(spaceReclaimed)}\n`;
}
