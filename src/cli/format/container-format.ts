/** `ps` rows as docker's ContainerContext computes them. */
import { humanDuration, humanSizeWithPrecision } from '../../lib/human.js';
import type { ContainerSummary, PortSummary } from '../../client/types.js';
import { goQuote } from '../../lib/go-template.js';
import { ellipsis, goTimeString, truncateId } from '../values.js';
import { headerRow, renderRows, structRow, type TemplateRow } from './formatter.js';

export const defaultContainerTableFormat = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

const headers: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

/** docker's NewContainerFormat: which template `ps` runs. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === '' || source === 'table') {
    if (quiet) return '{{.ID}}';
    return size ? `${defaultContainerTableFormat}\t{{.Size}}` : defaultContainerTableFormat;
  }
  if (source === 'raw') {
    if (quiet) return 'container_id: {{.ID}}';
    let f =
      'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
    if (size) f += 'size: {{.Size}}\\n';
    return f;
  }
  return quiet ? '{{.ID}}' : source;
}

/** Image as ps shows it: docker.io/library prefixes dropped, a bare image ID truncated. */
export function familiarImage(image: string, imageId: string, trunc: boolean): string {
  if (image === '') return '<no image>';
  if (!trunc) return image;
  if (truncateId(imageId) === truncateId(image) && /^(sha256:)?[0-9a-f]{12,64}$/.test(image)) return truncateId(image);
  let s = image;
  // Strip a digest but keep a tag.
  const at = s.indexOf('@');
  if (at >= 0 && /:[^/]*$/.test(s.slice(0, at))) s = s.slice(0, at);
  if (s.startsWith('docker.io/library/')) s = s.slice('docker.io/library/'.length);
  else if (s.startsWith('docker.io/')) s = s.slice('docker.io/'.length);
  return s;
}

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ai = a.IP ?? '';
  const bi = b.IP ?? '';
  if (ai !== bi) return ai < bi ? -1 : 1;
  const ap = a.PublicPort ?? 0;
  const bp = b.PublicPort ?? 0;
  if (ap !== bp) return ap - bp;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function joinHostPort(ip: string, port: string | number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0];
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0];
    type = parts[1];
  }
  let group = String(first);
  if (first !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/**
 * docker's DisplayablePorts: consecutive ports grouped into ranges per IP/protocol,
 * mappings whose host port differs listed after ("0.0.0.0:8088->80/tcp").
 */
export function displayablePorts(input: PortSummary[]): string {
  const ports = [...input].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of ports) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // Re-inserting keeps the key's first position, as docker's ordered key list does.
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

export interface ContainerRowOptions {
  trunc: boolean;
  now: Date;
  /** Local zone for CreatedAt (tests pin it). */
  timeZone?: string;
}

/** One container as `ps` templates see it. */
export function containerRow(c: ContainerSummary, o: ContainerRowOptions): TemplateRow {
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  let shownNames: string;
  if (o.trunc) shownNames = names.find((n) => !n.includes('/')) ?? '';
  else shownNames = names.join(',');
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []).map((m) => {
    const n = m.Name ? m.Name : (m.Source ?? '');
    return o.trunc ? ellipsis(n, 15) : n;
  });
  const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  const size = (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})` : srw;
  const row = structRow('ContainerContext', {
    Command: goQuote(o.trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '')),
    CreatedAt: goTimeString(c.Created, o.timeZone),
    ID: o.trunc ? truncateId(c.Id) : c.Id,
    Image: familiarImage(c.Image ?? '', c.ImageID ?? '', o.trunc),
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: mounts.join(','),
    Names: shownNames,
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Ports: displayablePorts(c.Ports ?? []),
    RunningFor: `${humanDuration(o.now.getTime() - c.Created * 1000)} ago`,
    Size: size,
    State: c.State ?? '',
    Status: c.Status ?? '',
  });
  Object.defineProperty(row, 'Label', { value: (name: string) => labels[name] ?? '', enumerable: false });
  return row;
}

export function formatContainers(list: ContainerSummary[], opts: ContainerRowOptions & { format: string }): string {
  const rows = list.map((c) => containerRow(c, opts));
  return renderRows(opts.format, rows, headerRow(headers, { Label: 'LABEL' }));
}
