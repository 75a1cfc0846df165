import * as path from 'node:path';
import { LowerLayers, opaqueDirs, walkUpper, type LowerEntry, type TreeEntry } from '../../drivers/storage/upper-dir.js';
import type { ContainerRecord } from './container-record.js';

/** Docker's change kinds (go-archive ChangeType). */
export const ChangeKind = { Modify: 0, Add: 1, Delete: 2 } as const;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/**
 * Paths berth (runc) creates in a container's own layer as mount points — Docker keeps
 * them in a hidden "-init" layer, so `docker diff` and `docker commit` never show them.
 * The pseudo filesystems' directories hide everything below them as well.
 */
const MOUNT_POINT_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv', '/.dockerinit', '/dev/console']);
const MOUNT_POINT_TREES = ['/proc', '/sys', '/dev'];

/** True for a path that belongs to berth's runtime plumbing, not to the container's changes. */
export function isPlumbing(cpath: string): boolean {
  if (MOUNT_POINT_FILES.has(cpath)) return true;
  return MOUNT_POINT_TREES.some((t) => cpath === t || cpath.startsWith(t + '/'));
}

/** The facts computeChanges works from, gathered from the upper dir and the image's layers. */
export interface ChangeInputs {
  /** The upper dir's entries, parents before children. */
  upper: TreeEntry[];
  /** What each upper path is in the image (undefined: absent). */
  lower: Map<string, LowerEntry | undefined>;
  /** Opaque directories of the upper dir (overlay's trusted.overlay.opaque=y). */
  opaque: Set<string>;
  /** For each opaque directory that exists in the image: its names there. */
  lowerChildren: Map<string, string[]>;
}

/**
 * The container's filesystem changes against its image, as `docker diff` lists them:
 * A for added, C for changed, D for deleted; a directory that merely holds changes is C
 * (and listed before them); whiteouts and opaque directories are understood; runtime
 * mount points are left out. Pure: sorted by path.
 */
export function computeChanges(inp: ChangeInputs): Change[] {
  const out = new Map<string, Change['Kind']>();
  const under = (p: string, dirs: Set<string>): boolean => {
    for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) if (dirs.has(d)) return true;
    return false;
  };
  for (const e of inp.upper) {
    if (isPlumbing(e.path)) continue;
    // Below an opaque directory, the image's contents are hidden: nothing there "exists below".
    const lower = under(e.path, inp.opaque) ? undefined : inp.lower.get(e.path);
    if (e.kind === 'whiteout') {
      if (lower) out.set(e.path, ChangeKind.Delete);
      continue;
    }
    if (!lower) {
      out.set(e.path, ChangeKind.Add);
      continue;
    }
    if (e.kind === 'dir' && lower.kind === 'dir') {
      // A directory copied up only because something inside changed is not itself a change.
      if ((e.mode & 0o7777) !== (lower.mode & 0o7777) || e.uid !== lower.uid || e.gid !== lower.gid) out.set(e.path, ChangeKind.Modify);
      if (inp.opaque.has(e.path)) {
        const present = new Set(inp.upper.filter((u) => path.posix.dirname(u.path) === e.path).map((u) => path.posix.basename(u.path)));
        for (const name of inp.lowerChildren.get(e.path) ?? []) {
          const child = e.path === '/' ? `/${name}` : `${e.path}/${name}`;
          if (!present.has(name) && !isPlumbing(child)) out.set(child, ChangeKind.Delete);
        }
      }
      continue;
    }
    out.set(e.path, ChangeKind.Modify);
  }
  // Every directory holding a change is changed too (unless it was itself added).
  for (const p of [...out.keys()]) {
    for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) {
      if (out.has(d)) break;
      out.set(d, ChangeKind.Modify);
    }
  }
  return [...out.entries()].map(([Path, Kind]) => ({ Path, Kind })).sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** Gathers the inputs of computeChanges for a container's upper dir and reads its changes. */
export async function containerChanges(upper: string, layersBottomFirst: string[]): Promise<Change[]> {
  const entries = await walkUpper(upper);
  const layers = new LowerLayers(layersBottomFirst);
  const lower = new Map<string, LowerEntry | undefined>();
  await Promise.all(entries.filter((e) => !isPlumbing(e.path)).map(async (e) => lower.set(e.path, await layers.lookup(e.path))));
  const dirs = entries.filter((e) => e.kind === 'dir').map((e) => e.path);
  const opaque = await opaqueDirs(upper, dirs);
  const lowerChildren = new Map<string, string[]>();
  for (const d of opaque) {
    if (lower.get(d)?.kind === 'dir') lowerChildren.set(d, await layers.children(d));
  }
  return computeChanges({ upper: entries, lower, opaque, lowerChildren });
}

/** Where a container's own layer lives (the store's layout: `<containers root>/<id>/diff`). */
export function upperDirOf(containersRoot: string, rec: Pick<ContainerRecord, 'Id'>): string {
  return path.join(containersRoot, rec.Id, 'diff');
}
