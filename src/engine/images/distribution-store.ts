/**
 * What berth knows of images' registry forms (dockerd's distribution metadata): for each
 * layer (by diffID) the compressed blobs that carry it and the repositories they were
 * seen in, and for each image the manifests it was pulled or pushed as. The blobs
 * themselves are in the content store, kept as long as their layer or image exists, so
 * pushing a pulled image sends the very same bytes and keeps its digest, and a push can
 * skip or mount what a registry already has.
 */
import * as path from 'node:path';
import { readJson, writeJsonAtomic } from '../../lib/atomic-file.js';
import { errorMessage, isErrno } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

/** A compressed (or not) form of a layer as a registry serves it. */
export interface LayerBlob {
  digest: string;
  mediaType: string;
  size: number;
  /** Repositories (`127.0.0.1:5000/bb`, `docker.io/library/busybox`) known to have it. */
  repos: string[];
}

/** A manifest an image was pulled or pushed as (its bytes are in the content store). */
export interface ManifestRecord {
  digest: string;
  mediaType: string;
  size: number;
  /** `image` for the image's own manifest, `index` for a list it was picked from. */
  kind: 'image' | 'index';
  repos: string[];
}

interface FileShape {
  layers: Record<string, LayerBlob[]>;
  images: Record<string, ManifestRecord[]>;
}

export class DistributionStore {
  private data: FileShape = { layers: {}, images: {} };
  private readonly file: string;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.file = path.join(root, 'distribution.json');
  }

  async init(): Promise<void> {
    try {
      const d = await readJson<FileShape>(this.file);
      this.data = { layers: d.layers ?? {}, images: d.images ?? {} };
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) log.warn('ignoring unreadable distribution metadata', { err: errorMessage(err) });
    }
  }

  layerBlobs(diffId: string): LayerBlob[] {
    return this.data.layers[diffId] ?? [];
  }

  manifests(imageId: string): ManifestRecord[] {
    return this.data.images[imageId] ?? [];
  }

  /** Records that `repo` has the blob `b` of layer `diffId`. */
  async addLayerBlob(diffId: string, b: Omit<LayerBlob, 'repos'>, repo: string): Promise<void> {
    const list = (this.data.layers[diffId] ??= []);
    const cur = list.find((x) => x.digest === b.digest);
    if (cur) {
      if (cur.repos.includes(repo)) return;
      cur.repos.push(repo);
    } else list.push({ ...b, repos: [repo] });
    await this.save();
  }

  async addManifest(imageId: string, m: Omit<ManifestRecord, 'repos'>, repo: string): Promise<void> {
    const list = (this.data.images[imageId] ??= []);
    const cur = list.find((x) => x.digest === m.digest);
    if (cur) {
      if (cur.repos.includes(repo)) return;
      cur.repos.push(repo);
    } else list.push({ ...m, repos: [repo] });
    await this.save();
  }

  /** Blobs to keep: manifests of existing images, registry forms of existing layers. */
  wantedBlobs(imageIds: Iterable<string>, diffIds: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const id of imageIds) for (const m of this.data.images[id] ?? []) out.add(m.digest);
    for (const d of diffIds) for (const b of this.data.layers[d] ?? []) out.add(b.digest);
    return out;
  }

  /**
   * Forgets images and layers that are gone; returns the digests they named (the
   * caller deletes those no one else wants).
   */
  async prune(imageIds: Set<string>, diffIds: Set<string>): Promise<string[]> {
    const dropped: string[] = [];
    for (const id of Object.keys(this.data.images)) {
      if (imageIds.has(id)) continue;
      dropped.push(...this.data.images[id].map((m) => m.digest));
      delete this.data.images[id];
    }
    for (const d of Object.keys(this.data.layers)) {
      if (diffIds.has(d)) continue;
      dropped.push(...this.data.layers[d].map((b) => b.digest));
      delete this.data.layers[d];
    }
    if (dropped.length) await this.save();
    return dropped;
  }

  /** Every digest the metadata names (blobs a full sweep must not treat as orphans before prune). */
  allDigests(): string[] {
    const out: string[] = [];
    for (const l of Object.values(this.data.images)) for (const m of l) out.push(m.digest);
    for (const l of Object.values(this.data.layers)) for (const b of l) out.push(b.digest);
    return out;
  }

  private save(): Promise<void> {
    // Writes are serialized; each writes the latest state.
    const p = this.tail.then(() => writeJsonAtomic(this.file, this.data));
    this.tail = p.catch(() => undefined);
    return p;
  }
}
