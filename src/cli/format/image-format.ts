/** `images` and `history` rows as docker's image and history formatters compute them. */
import { humanDuration, humanSize, humanSizeWithPrecision } from '../../lib/human.js';
import type { ImageHistoryItem, ImageSummary } from '../../client/types.js';
import { ellipsis, goTimeString, truncateId } from '../values.js';
import { headerRow, renderRows, structRow, type TemplateRow } from './formatter.js';

const defaultImageTableFormat = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const defaultImageTableFormatWithDigest =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

const imageHeaders: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** docker's NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === '' || source === 'table') {
    if (quiet) return '{{.ID}}';
    return digest ? defaultImageTableFormatWithDigest : defaultImageTableFormat;
  }
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (source.startsWith('table') && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

/** The familiar form of a repository name (docker.io/library/ dropped). */
export function familiarName(name: string): string {
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/** Splits "repo:tag" at the tag's colon (not a registry port's). */
function splitRepoTag(ref: string): [string, string] | undefined {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return undefined;
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

export interface ImageRowOptions {
  trunc: boolean;
  digest: boolean;
  now: Date;
  timeZone?: string;
}

export function imageRow(img: ImageSummary, repo: string, tag: string, digest: string, o: ImageRowOptions): TemplateRow {
  const created = img.Created ?? 0;
  return structRow('imageContext', {
    Containers: img.Containers === undefined || img.Containers === -1 ? 'N/A' : String(img.Containers),
    CreatedAt: goTimeString(created, o.timeZone),
    CreatedSince: created > 0 ? `${humanDuration(o.now.getTime() - created * 1000)} ago` : '',
    Digest: digest,
    ID: o.trunc ? truncateId(img.Id) : img.Id,
    Repository: repo,
    SharedSize: img.SharedSize === undefined || img.SharedSize === -1 ? 'N/A' : humanSize(img.SharedSize),
    Size: humanSizeWithPrecision(img.Size ?? 0, 3),
    Tag: tag,
    UniqueSize: img.SharedSize === undefined || img.SharedSize === -1 || img.Size === -1 ? 'N/A' : humanSize(img.Size - img.SharedSize),
    VirtualSize: humanSize(img.Size ?? 0),
  });
}

/** One row per repository:tag (and per digest with --digests), as docker lists them. */
export function imageRows(images: ImageSummary[], o: ImageRowOptions): TemplateRow[] {
  const out: TemplateRow[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      out.push(imageRow(img, '<none>', '<none>', '<none>', o));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const ref of img.RepoTags ?? []) {
      const rt = splitRepoTag(ref);
      if (!rt || ref === '<none>:<none>') continue;
      const repo = familiarName(rt[0]);
      repoTags.set(repo, [...(repoTags.get(repo) ?? []), rt[1]]);
    }
    for (const ref of img.RepoDigests ?? []) {
      const at = ref.indexOf('@');
      if (at <= 0 || ref === '<none>@<none>') continue;
      const repo = familiarName(ref.slice(0, at));
      repoDigests.set(repo, [...(repoDigests.get(repo) ?? []), ref.slice(at + 1)]);
    }
    for (const [repo, tags] of repoTags) {
      const digests = o.digest ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) out.push(imageRow(img, repo, tag, '<none>', o));
        else for (const d of digests) out.push(imageRow(img, repo, tag, d, o));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (o.digest) for (const d of digests) out.push(imageRow(img, repo, '<none>', d, o));
      else out.push(imageRow(img, repo, '<none>', '', o));
    }
  }
  return out;
}

export function formatImages(images: ImageSummary[], opts: ImageRowOptions & { format: string }): string {
  return renderRows(opts.format, imageRows(images, opts), headerRow(imageHeaders));
}

// --- history ------------------------------------------------------------------

const historyHeaders: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source === '' || source === 'table') {
    if (quiet) return '{{.ID}}';
    return human
      ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
      : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
  }
  return source;
}

/** Go's time.Format(time.RFC3339) in the local zone. */
function rfc3339(unixSeconds: number, timeZone?: string): string {
  const s = goTimeString(unixSeconds, timeZone); // "2006-01-02 15:04:05 -0700 MST"
  const [date, time, off] = s.split(' ');
  const zone = off === '+0000' ? 'Z' : `${off.slice(0, 3)}:${off.slice(3)}`;
  return `${date}T${time}${zone}`;
}

export interface HistoryRowOptions {
  trunc: boolean;
  human: boolean;
  now: Date;
  timeZone?: string;
}

/** Before 2000-01-01 a creation time is shown as N/A (docker's epoch check). */
const EPOCH_2000 = 946684800;

export function historyRow(h: ImageHistoryItem, o: HistoryRowOptions): TemplateRow {
  const createdAt = rfc3339(h.Created, o.timeZone);
  const createdBy = (h.CreatedBy ?? '').replaceAll('\t', ' ');
  return structRow('historyContext', {
    Comment: h.Comment ?? '',
    CreatedAt: createdAt,
    CreatedBy: o.trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: !o.human ? createdAt : h.Created <= EPOCH_2000 ? 'N/A' : `${humanDuration(o.now.getTime() - h.Created * 1000)} ago`,
    ID: o.trunc ? truncateId(h.Id) : h.Id,
    Size: o.human ? humanSizeWithPrecision(h.Size ?? 0, 3) : String(h.Size ?? 0),
  });
}

export function formatHistory(items: ImageHistoryItem[], opts: HistoryRowOptions & { format: string }): string {
  return renderRows(opts.format, items.map((h) => historyRow(h, opts)), headerRow(historyHeaders));
}
