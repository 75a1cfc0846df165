import type { ImageConfigBlob, ImageRuntimeConfig } from './image-types.js';
import { familiarString, type NamedRef } from './reference.js';

/**
 * The API's views of an image (ImageSummary, ImageInspect, HistoryResponseItem), built
 * from what the store knows. Field names and defaults are dockerd's.
 */

/** What the views need of a stored image. */
export interface ImageView {
  id: string;
  config: ImageConfigBlob;
  parent?: string;
  lastTagTime?: string;
  refs: NamedRef[];
  /** Per layer, bottom first: unpacked size and diff dir. */
  layers: { diffId: string; size: number; dir: string }[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function repoTags(refs: NamedRef[]): string[] {
  return refs.filter((r) => r.tag !== undefined && r.digest === undefined).map(familiarString);
}

export function repoDigests(refs: NamedRef[]): string[] {
  return refs.filter((r) => r.digest !== undefined).map(familiarString);
}

export function imageSize(v: ImageView): number {
  return v.layers.reduce((a, l) => a + l.size, 0);
}

/** Unix seconds of the config's `created` (0 when absent or unparsable). */
export function createdSeconds(config: ImageConfigBlob): number {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** Milliseconds, for before/since comparisons. */
export function createdMillis(config: ImageConfigBlob): number {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/** The summary `GET /images/json` returns. */
export function imageSummary(v: ImageView, apiVersion: string, tags = repoTags(v.refs), digests = repoDigests(v.refs)): Record<string, unknown> {
  const size = imageSize(v);
  let t: string[] = tags;
  let d: string[] = digests;
  if (t.length === 0 && d.length === 0 && versionBelow(apiVersion, '1.43')) {
    t = ['<none>:<none>'];
    d = ['<none>@<none>'];
  }
  return {
    Containers: -1,
    Created: createdSeconds(v.config),
    Id: v.id,
    Labels: v.config.config?.Labels ?? null,
    ParentId: v.parent ?? '',
    RepoDigests: d,
    RepoTags: t,
    SharedSize: -1,
    Size: size,
    VirtualSize: size,
  };
}

/** The container config in the full shape dockerd serves (every field present). */
export function fullRuntimeConfig(c: ImageRuntimeConfig | undefined): Record<string, unknown> {
  const cfg = c ?? {};
  const out: Record<string, unknown> = {
    Hostname: cfg.Hostname ?? '',
    Domainname: cfg.Domainname ?? '',
    User: cfg.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (cfg.ExposedPorts && Object.keys(cfg.ExposedPorts).length) out.ExposedPorts = cfg.ExposedPorts;
  Object.assign(out, {
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: cfg.Env ?? null,
    Cmd: cfg.Cmd ?? null,
  });
  if (cfg.Healthcheck) out.Healthcheck = cfg.Healthcheck;
  if (cfg.ArgsEscaped) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: '',
    Volumes: cfg.Volumes ?? null,
    WorkingDir: cfg.WorkingDir ?? '',
    Entrypoint: cfg.Entrypoint ?? null,
    OnBuild: cfg.OnBuild ?? null,
    Labels: cfg.Labels ?? null,
  });
  if (cfg.StopSignal) out.StopSignal = cfg.StopSignal;
  if (cfg.Shell?.length) out.Shell = cfg.Shell;
  return out;
}

/** `GET /images/{name}/json`. */
export function imageInspect(v: ImageView, apiVersion: string): Record<string, unknown> {
  const c = v.config;
  const size = imageSize(v);
  const out: Record<string, unknown> = {
    Id: v.id,
    RepoTags: repoTags(v.refs),
    RepoDigests: repoDigests(v.refs),
    Parent: v.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? ZERO_TIME,
  };
  if (versionBelow(apiVersion, '1.45')) {
    out.Container = c.container ?? '';
    out.ContainerConfig = fullRuntimeConfig(c.container_config);
  }
  Object.assign(out, {
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: fullRuntimeConfig(c.config),
    Architecture: c.architecture ?? '',
  });
  if (c.variant) out.Variant = c.variant;
  out.Os = c.os ?? '';
  if (c['os.version']) out.OsVersion = c['os.version'];
  Object.assign(out, {
    Size: size,
    VirtualSize: size,
    GraphDriver: graphDriver(v),
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: v.lastTagTime ?? ZERO_TIME },
  });
  return out;
}

function graphDriver(v: ImageView): { Name: string; Data: Record<string, string> | null } {
  if (v.layers.length === 0) return { Name: 'overlay2', Data: null };
  const top = v.layers[v.layers.length - 1].dir;
  const layerDir = top.replace(/\/diff$/, '');
  const data: Record<string, string> = {};
  if (v.layers.length > 1) {
    data.LowerDir = v.layers
      .slice(0, -1)
      .reverse()
      .map((l) => l.dir)
      .join(':');
  }
  data.MergedDir = `${layerDir}/merged`;
  data.UpperDir = top;
  data.WorkDir = `${layerDir}/work`;
  return { Name: 'overlay2', Data: data };
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/**
 * `GET /images/{name}/history`, newest first. Entries are the config's history; those
 * that made a layer carry its size. The top entry gets the image's ID and tags, the
 * following ones those of its local parents, the rest `<missing>` (as dockerd shows).
 */
export function imageHistory(v: ImageView, parentOf: (id: string) => ImageView | undefined): HistoryItem[] {
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of v.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      size = v.layers[layer]?.size ?? 0;
      layer++;
    }
    const t = h.created ? Date.parse(h.created) : NaN;
    items.unshift({
      Id: '<missing>',
      Created: Number.isFinite(t) ? Math.floor(t / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  let cur: ImageView | undefined = v;
  for (const item of items) {
    if (!cur) break;
    item.Id = cur.id;
    const tags = repoTags(cur.refs);
    item.Tags = tags.length ? tags : null;
    cur = cur.parent ? parentOf(cur.parent) : undefined;
  }
  return items;
}

function versionBelow(v: string, than: string): boolean {
  const [a, b] = v.split('.').map(Number);
  const [c, d] = than.split('.').map(Number);
  return a < c || (a === c && b < d);
}
