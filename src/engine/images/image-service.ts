import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { EventBus } from '../events.js';
import { readJson, removeStaleTemps, writeJsonAtomic } from '../../lib/atomic-file.js';
import { ConflictError, InvalidParameterError, NotFoundError, errorMessage, isErrno, wrap } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { ContentStore } from '../../drivers/storage/content-store.js';
import { LayerStore, chainIds } from '../../drivers/storage/layer-store.js';
import { parseImageConfig, type PlannedImage } from './archive-manifest.js';
import { applyChanges } from './image-changes.js';
import { prepareLoad, type LoadBackend, type PreparedLoad } from './image-load.js';
import { writeImageArchive, type SaveImage } from './image-save.js';
import type { ImageConfigBlob, ImageHandle, ImageRuntimeConfig, ImageUsage } from './image-types.js';
import {
  createdMillis,
  imageHistory,
  imageInspect,
  imageSummary,
  repoDigests,
  repoTags,
  type HistoryItem,
  type ImageView,
} from './image-views.js';
import {
  familiarMatch,
  familiarString,
  isNamed,
  parseAnyReference,
  parseNormalizedNamed,
  referenceString,
  repoTagReference,
  repositoryName,
  shortId,
  withDefaultTag,
  type NamedRef,
} from './reference.js';
import { ReferenceStore } from './reference-store.js';
import type { RegistryClient, Credentials } from '../../drivers/registry/registry-client.js';
import { DistributionStore } from './distribution-store.js';
import type { DistributionBackend, Emit } from './distribution-backend.js';
import { pullImage, type PullRequest } from './image-pull.js';
import { pushImage, type PushRequest } from './image-push.js';
import { Semaphore, TransferManager } from './transfers.js';

/** The persisted per-image record (`<root>/images/<hex>.json`); the config lives in the content store. */
interface ImageRecord {
  id: string;
  /** Local parent image (commit/build), for history and "dependent child images". */
  parent?: string;
  lastTagTime?: string;
  /** When the image was stored here. */
  stored: string;
}

interface StoredImage {
  id: string;
  config: ImageConfigBlob;
  chainIds: string[];
  record: ImageRecord;
}

/** Layers of force-deleted images kept while containers still use them. */
interface Retained {
  id: string;
  chainIds: string[];
}

export interface ImageListOptions {
  all?: boolean;
  filters?: Map<string, string[]>;
  apiVersion: string;
}

export interface DeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

/** Options to create an image on this host (import, commit, build). */
export interface CreateImageOptions {
  /** Image (reference or ID) whose layers come first and whose config is the base. */
  parent?: string;
  /** Record `parent` as the local parent (commit/build do; import has none). Default: true with a parent. */
  recordParent?: boolean;
  /** A layer tar (uncompressed or gzip; OCI whiteouts) to add on top. None: a config-only step. */
  layer?: NodeJS.ReadableStream;
  /** The new runtime config; default the parent's. `changes` are applied on top. */
  config?: ImageRuntimeConfig;
  changes?: string[];
  author?: string;
  /** Image comment (and the history entry's). */
  comment?: string;
  /** History `created_by` (e.g. `/bin/sh -c #(nop) CMD ["sh"]`). */
  createdBy?: string;
  /** A reference to tag the new image with (`repo:tag`). */
  tag?: NamedRef;
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.tail.then(fn);
    this.tail = r.catch(() => undefined);
    return r;
  }
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const DOCKER_VERSION = 'berth';

/**
 * The local image store, layered as containerd's: a content store of blobs by digest,
 * layer snapshots keyed by chain ID, and on top image records (config + layers) and
 * repository references. Images are made by load, import or createImage (commit/build);
 * references and records are persisted crash-consistently. Mutations of records,
 * references and layers' lifetimes are serialized; unpacking layers runs concurrently
 * under leases that keep garbage collection away.
 */
export class ImageService {
  private usage: ImageUsage | undefined;
  private readonly content: ContentStore;
  readonly layers: LayerStore;
  private readonly refs: ReferenceStore;
  private readonly images = new Map<string, StoredImage>();
  private retained: Retained[] = [];
  private readonly leases = new Map<string, number>();
  private readonly lock = new Mutex();
  private readonly recordDir: string;
  private readonly tmpDir: string;
  /** Registry forms of images and layers (pull, push). */
  private readonly dist: DistributionStore;
  private registry: RegistryClient | undefined;
  /** dockerd's defaults: 3 concurrent downloads, 5 uploads, daemon-wide. */
  private readonly transfers = new TransferManager();
  private readonly downloadSlots = new Semaphore(3);
  private readonly uploadSlots = new Semaphore(5);

  constructor(
    readonly root: string,
    readonly events: EventBus,
  ) {
    this.content = new ContentStore(root);
    this.layers = new LayerStore(root, this.content);
    this.refs = new ReferenceStore(root);
    this.recordDir = path.join(root, 'images');
    this.tmpDir = path.join(root, 'tmp');
    this.dist = new DistributionStore(root);
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o711 });
    await fsp.rm(this.tmpDir, { recursive: true, force: true });
    await fsp.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.recordDir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(this.root);
    await removeStaleTemps(this.recordDir);
    await this.content.init();
    await this.layers.init();
    await this.refs.init();
    await this.dist.init();
    for (const name of await fsp.readdir(this.recordDir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      const file = path.join(this.recordDir, name);
      try {
        const record = await readJson<ImageRecord>(file);
        const config = parseImageConfig(await this.content.read(record.id), record.id);
        const chains = chainIds(config.rootfs.diff_ids);
        const missing = chains.find((c) => !this.layers.has(c));
        if (missing) throw new Error(`layer ${missing} is missing`);
        this.images.set(record.id, { id: record.id, config, chainIds: chains, record });
      } catch (err) {
        log.warn('dropping unusable image record', { file, err: errorMessage(err) });
        await fsp.rm(file, { force: true });
      }
    }
    try {
      this.retained = await readJson<Retained[]>(path.join(this.root, 'retained.json'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) log.warn('ignoring unreadable retained.json', { err: errorMessage(err) });
    }
    await this.refs.retain((id) => this.images.has(id));
    await this.lock.run(() => this.gcLocked(true));
  }

  setUsage(u: ImageUsage): void {
    this.usage = u;
  }

  count(): number {
    return this.images.size;
  }

  // ---- lookup ----------------------------------------------------------------------

  /** Resolves a name, name:tag, name@digest, full or short image ID (dockerd's GetImage). */
  private resolve(refOrId: string): StoredImage {
    const ref = parseAnyReference(refOrId);
    if (!isNamed(ref)) {
      const img = this.images.get(ref.digestOnly);
      if (img) return img;
      throw new NotFoundError(`No such image: ${ref.digestOnly}`);
    }
    const lookup: NamedRef = ref.digest !== undefined ? { domain: ref.domain, path: ref.path, digest: ref.digest } : withDefaultTag(ref);
    const id = this.refs.get(lookup);
    if (id) {
      const img = this.images.get(id);
      if (img) return img;
    }
    const byId = this.searchId(refOrId);
    if (byId) return byId;
    throw new NotFoundError(`No such image: ${familiarString(withDefaultTag(ref))}`);
  }

  /** A unique image whose ID starts with the given hex (with or without `sha256:`). */
  private searchId(s: string): StoredImage | undefined {
    const hex = s.startsWith('sha256:') ? s.slice(7) : s;
    if (!/^[a-f0-9]{1,64}$/.test(hex)) return undefined;
    let found: StoredImage | undefined;
    for (const [id, img] of this.images) {
      if (id.startsWith(`sha256:${hex}`)) {
        if (found) return undefined;
        found = img;
      }
    }
    return found;
  }

  /** What a container needs of an image. */
  async get(ref: string): Promise<ImageHandle> {
    const img = this.resolve(ref);
    return {
      id: img.id,
      repoTags: repoTags(this.refs.referencesOf(img.id)),
      config: img.config.config ?? {},
      os: img.config.os ?? 'linux',
      architecture: img.config.architecture ?? '',
      layerDirs: img.chainIds.map((c) => this.layers.diffDir(c)),
      shortLayerDirs: img.chainIds.map((c) => this.layers.linkPath(c)),
    };
  }

  /** The full image ID of a reference (NotFoundError like get()). */
  async resolveId(ref: string): Promise<string> {
    return this.resolve(ref).id;
  }

  private view(img: StoredImage): ImageView {
    return {
      id: img.id,
      config: img.config,
      parent: img.record.parent,
      lastTagTime: img.record.lastTagTime,
      refs: this.refs.referencesOf(img.id),
      layers: img.chainIds.map((c) => {
        const l = this.layers.get(c);
        return { diffId: l.diffId, size: l.size, dir: this.layers.diffDir(c) };
      }),
    };
  }

  // ---- views -----------------------------------------------------------------------

  /** Disk used by all unpacked layers (system df's LayersSize). */
  async layersSize(): Promise<number> {
    return this.layers.totalSize();
  }

  /** GET /images/json with dockerd's filters (dangling, reference, label, before, since, until). */
  list(opts: ImageListOptions): Record<string, unknown>[] {
    const filters = opts.filters ?? new Map<string, string[]>();
    for (const k of filters.keys()) {
      if (!['dangling', 'reference', 'label', 'before', 'since', 'until'].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    let danglingOnly = false;
    const dangling = filters.get('dangling');
    if (dangling && dangling.length) {
      const v = dangling[0].toLowerCase();
      if (v === 'true' || v === '1') danglingOnly = true;
      else if (v !== 'false' && v !== '0') throw new InvalidParameterError(`invalid filter 'dangling=${dangling[0]}'`);
    }
    const before = filters.get('before')?.map((r) => createdMillis(this.resolve(r).config));
    const since = filters.get('since')?.map((r) => createdMillis(this.resolve(r).config));
    const until = filters.get('until')?.map(parseUntil);
    const patterns = filters.get('reference') ?? [];
    const labels = filters.get('label') ?? [];
    const children = new Set([...this.images.values()].map((i) => i.record.parent).filter((p): p is string => !!p));
    const out: { created: number; summary: Record<string, unknown> }[] = [];
    for (const img of this.images.values()) {
      const created = createdMillis(img.config);
      if (before && before.some((b) => created >= b)) continue;
      if (since && since.some((s) => created <= s)) continue;
      if (until && until.some((u) => created > u)) continue;
      if (labels.length && !matchLabels(labels, img.config.config?.Labels ?? {})) continue;
      const view = this.view(img);
      let refs = view.refs;
      if (patterns.length) refs = refs.filter((r) => patterns.some((p) => familiarMatch(p, r)));
      const tags = repoTags(refs);
      const digests = repoDigests(refs);
      if (tags.length === 0 && digests.length === 0) {
        if (!(opts.all || !children.has(img.id))) continue;
        if (dangling && !danglingOnly) continue;
        if (patterns.length) continue;
      } else if (danglingOnly) continue;
      out.push({ created, summary: imageSummary(view, opts.apiVersion, tags, digests) });
    }
    return out.sort((a, b) => b.created - a.created).map((x) => x.summary);
  }

  /** GET /images/{name}/json. */
  inspect(ref: string, apiVersion: string): Record<string, unknown> {
    return imageInspect(this.view(this.resolve(ref)), apiVersion);
  }

  /** GET /images/{name}/history. */
  history(ref: string): HistoryItem[] {
    const img = this.resolve(ref);
    return imageHistory(this.view(img), (id) => {
      const p = this.images.get(id);
      return p ? this.view(p) : undefined;
    });
  }

  // ---- tag -------------------------------------------------------------------------

  /** POST /images/{name}/tag: points repo:tag at the image. */
  async tag(source: string, repo: string, tag: string): Promise<void> {
    const ref = repoTagReference(repo, tag);
    await this.lock.run(async () => {
      const img = this.resolve(source);
      await this.setReference(img, ref);
    });
  }

  /** Points `ref` at the image; returns the image it pointed at before. Load sets tags without a tag event, as dockerd. */
  private async setReference(img: StoredImage, ref: NamedRef, event = true): Promise<string | undefined> {
    const old = await this.refs.set(ref, img.id);
    img.record = { ...img.record, lastTagTime: new Date().toISOString() };
    await this.saveRecord(img.record);
    if (event) this.publish('tag', img, familiarString(ref));
    return old;
  }

  // ---- delete ----------------------------------------------------------------------

  /** DELETE /images/{name}, with dockerd's conflict rules (daemon/images/image_delete.go). */
  async remove(refOrId: string, opts: { force?: boolean; prune?: boolean } = {}): Promise<DeleteResponseItem[]> {
    const force = !!opts.force;
    const prune = opts.prune ?? true;
    return this.lock.run(async () => {
      const img = this.resolve(refOrId);
      const records: DeleteResponseItem[] = [];
      let repoRefs = this.refs.referencesOf(img.id);
      let removedRepositoryRef = false;
      if (!isImageIdPrefix(img.id, refOrId)) {
        const using = this.usage?.containersUsing(img.id) ?? [];
        if (!force && isSingleReference(repoRefs) && using.length) {
          throw new ConflictError(
            `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(using[0].id)} is using its referenced image ${shortId(img.id)}`,
          );
        }
        let parsed = parseNormalizedNamed(refOrId);
        if (parsed.digest === undefined) parsed = withDefaultTag(parsed);
        else if (parsed.tag !== undefined) parsed = { domain: parsed.domain, path: parsed.path, digest: parsed.digest };
        if (this.refs.get(parsed) !== img.id) throw new NotFoundError(`No such image: ${familiarString(parsed)}`);
        await this.refs.delete([parsed]);
        records.push({ Untagged: familiarString(parsed) });
        this.publish('untag', img);
        repoRefs = this.refs.referencesOf(img.id);
        if (parsed.digest === undefined) {
          // Removing the last tag of a repository also drops its digest references.
          const sameRepo = (r: NamedRef): boolean => repositoryName(r) === repositoryName(parsed);
          if (!repoRefs.some((r) => r.digest === undefined && sameRepo(r))) {
            const drop = repoRefs.filter((r) => r.digest !== undefined && sameRepo(r));
            await this.refs.delete(drop);
            for (const r of drop) records.push({ Untagged: familiarString(r) });
            repoRefs = repoRefs.filter((r) => !drop.includes(r));
          }
        }
        if (repoRefs.length > 0) return records;
        removedRepositoryRef = true;
      } else if (isSingleReference(repoRefs)) {
        // By ID with at most one tag (plus its digests): untag, then delete.
        const conflict = this.deleteConflict(img, { hard: true, stopped: !force, activeRef: false });
        if (conflict) throw conflict.error;
        await this.refs.delete(repoRefs);
        for (const r of repoRefs) {
          records.push({ Untagged: familiarString(r) });
          this.publish('untag', img);
        }
      }
      await this.deleteHelper(img, records, force, prune, removedRepositoryRef);
      return records;
    });
  }

  private deleteConflict(
    img: StoredImage,
    mask: { hard: boolean; stopped: boolean; activeRef: boolean },
  ): { error: ConflictError; used: boolean } | undefined {
    const sid = shortId(img.id);
    if (mask.hard) {
      if ([...this.images.values()].some((i) => i.record.parent === img.id)) {
        return { error: new ConflictError(`conflict: unable to delete ${sid} (cannot be forced) - image has dependent child images`), used: false };
      }
      const running = (this.usage?.containersUsing(img.id) ?? []).find((c) => c.running);
      if (running) {
        return {
          error: new ConflictError(`conflict: unable to delete ${sid} (cannot be forced) - image is being used by running container ${shortId(running.id)}`),
          used: true,
        };
      }
    }
    if (mask.activeRef && this.refs.referencesOf(img.id).length > 0) {
      return { error: new ConflictError(`conflict: unable to delete ${sid} (must be forced) - image is referenced in multiple repositories`), used: false };
    }
    if (mask.stopped) {
      const stopped = (this.usage?.containersUsing(img.id) ?? []).find((c) => !c.running);
      if (stopped) {
        return {
          error: new ConflictError(`conflict: unable to delete ${sid} (must be forced) - image is being used by stopped container ${shortId(stopped.id)}`),
          used: true,
        };
      }
    }
    return undefined;
  }

  private async deleteHelper(img: StoredImage, records: DeleteResponseItem[], force: boolean, prune: boolean, quiet: boolean): Promise<void> {
    const conflict = this.deleteConflict(img, { hard: true, stopped: !force, activeRef: !force });
    if (conflict) {
      const dangling = this.refs.referencesOf(img.id).length === 0;
      if (quiet && (!dangling || conflict.used)) return;
      throw conflict.error;
    }
    const parent = img.record.parent;
    const refs = this.refs.referencesOf(img.id);
    if (refs.length) {
      await this.refs.delete(refs);
      for (const r of refs) {
        records.push({ Untagged: familiarString(r) });
        this.publish('untag', img);
      }
    }
    const users = this.usage?.containersUsing(img.id) ?? [];
    if (users.length) {
      // Forced removal of an image stopped containers use: keep its layers for them.
      this.retained.push({ id: img.id, chainIds: img.chainIds });
      await writeJsonAtomic(path.join(this.root, 'retained.json'), this.retained);
    }
    this.images.delete(img.id);
    await fsp.rm(this.recordPath(img.id), { force: true });
    this.publish('delete', img);
    records.push({ Deleted: img.id });
    const removed = await this.gcLocked(false, [img.id]);
    for (const c of removed) records.push({ Deleted: c });
    if (!prune || !parent) return;
    const p = this.images.get(parent);
    if (p) await this.deleteHelper(p, records, false, true, true);
  }

  /**
   * POST /images/prune: deletes dangling images (or, with `dangling=false`, every image
   * no container uses), honouring `until` and `label` filters.
   */
  async prune(filters: Map<string, string[]>): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }> {
    for (const k of filters.keys()) {
      if (!['dangling', 'until', 'label'].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    let danglingOnly = true;
    const d = filters.get('dangling')?.[0]?.toLowerCase();
    if (d !== undefined) {
      if (d === 'false' || d === '0') danglingOnly = false;
      else if (d !== 'true' && d !== '1') throw new InvalidParameterError(`invalid filter 'dangling=${d}'`);
    }
    const until = filters.get('until')?.map(parseUntil);
    const labels = filters.get('label') ?? [];
    const sizes = new Map(this.layers.all().map((l) => [l.chainId, l.size]));
    const parents = new Set([...this.images.values()].map((i) => i.record.parent).filter(Boolean));
    const deleted: DeleteResponseItem[] = [];
    for (const img of [...this.images.values()]) {
      if (!this.images.has(img.id) || parents.has(img.id)) continue;
      if ((this.usage?.containersUsing(img.id) ?? []).length) continue;
      const refs = this.refs.referencesOf(img.id);
      if (danglingOnly && refs.length) continue;
      const created = createdMillis(img.config);
      if (until && until.some((u) => created > u)) continue;
      if (labels.length && !matchLabels(labels, img.config.config?.Labels ?? {})) continue;
      try {
        if (refs.length) {
          // Untagging a repository's last tag also drops its digests: skip refs already gone.
          for (const r of refs) if (this.images.has(img.id) && this.refs.get(r) === img.id) deleted.push(...(await this.remove(referenceString(r))));
        } else deleted.push(...(await this.remove(img.id)));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    const reclaimed = deleted.reduce((a, it) => a + (it.Deleted ? (sizes.get(it.Deleted) ?? 0) : 0), 0);
    this.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- garbage collection ------------------------------------------------------------

  /**
   * Removes layers no image, lease or retained (force-deleted but still used) image
   * needs, and their blobs. The containers engine may call this after removing a
   * container whose image was force-deleted. Returns the removed chain IDs.
   */
  async collectGarbage(candidates: string[] = []): Promise<string[]> {
    return this.lock.run(() => this.gcLocked(false, candidates));
  }

  private async gcLocked(full: boolean, deletedConfigs: string[] = []): Promise<string[]> {
    if (this.usage && this.retained.length) {
      const keep = this.retained.filter((r) => this.usage!.containersUsing(r.id).length > 0);
      if (keep.length !== this.retained.length) {
        this.retained = keep;
        await writeJsonAtomic(path.join(this.root, 'retained.json'), this.retained);
      }
    }
    const wanted = new Set<string>(this.leases.keys());
    for (const img of this.images.values()) for (const c of img.chainIds) wanted.add(c);
    for (const r of this.retained) for (const c of r.chainIds) wanted.add(c);
    const removed: string[] = [];
    const candidates = new Set<string>(deletedConfigs);
    for (const l of this.layers.all()) {
      if (wanted.has(l.chainId)) continue;
      await this.layers.remove(l.chainId);
      removed.push(l.chainId);
      candidates.add(l.diffId);
    }
    const wantedBlobs = new Set<string>([...this.images.keys(), ...this.retained.map((r) => r.id)]);
    for (const l of this.layers.all()) wantedBlobs.add(l.diffId);
    // Blobs a pull or push is using, and the registry forms of what is kept.
    for (const k of this.leases.keys()) wantedBlobs.add(k);
    const liveDiffIds = new Set([...this.layers.all().map((l) => l.diffId), ...this.leases.keys()]);
    for (const d of await this.dist.prune(new Set(wantedBlobs), liveDiffIds)) candidates.add(d);
    for (const d of this.dist.wantedBlobs(wantedBlobs, liveDiffIds)) wantedBlobs.add(d);
    // Only a full sweep (at start, nothing in flight) may look at every blob: an ingest
    // may have committed a blob whose layer is not registered yet.
    const check = full ? await this.content.list() : [...candidates];
    for (const d of check) if (!wantedBlobs.has(d)) await this.content.delete(d);
    return removed;
  }

  private lease(chainId: string): void {
    this.leases.set(chainId, (this.leases.get(chainId) ?? 0) + 1);
  }

  private release(chainId: string): void {
    const n = (this.leases.get(chainId) ?? 0) - 1;
    if (n <= 0) this.leases.delete(chainId);
    else this.leases.set(chainId, n);
  }

  // ---- load / save -----------------------------------------------------------------

  /**
   * POST /images/load, first half: reads and checks the archive (docker save or OCI
   * layout, maybe gzip). Errors here are the client's (400) and nothing is stored.
   * Then `run()` unpacks and stores, reporting progress.
   */
  async prepareLoad(input: NodeJS.ReadableStream): Promise<PreparedLoad> {
    const backend: LoadBackend = {
      layers: this.layers,
      platform: () => this.platform(),
      makeTempDir: (prefix) => fsp.mkdtemp(path.join(this.tmpDir, prefix)),
      lease: (c) => this.lease(c),
      release: (c) => this.release(c),
      collectGarbage: () => this.collectGarbage(),
      commitLoaded: (img, say) => this.commitLoaded(img, say),
    };
    return prepareLoad(backend, input);
  }

  private async commitLoaded(img: PlannedImage, say: (line: string) => void): Promise<void> {
    await this.lock.run(async () => {
      const stored = await this.storeImage(img.id, img.configBytes, img.config, undefined);
      for (const ref of img.refs) {
        const old = await this.setReference(stored, ref, false);
        if (old && this.images.has(old)) {
          say(`The image ${familiarString(ref)} already exists, renaming the old one with ID ${old} to empty string\n`);
        }
        say(`Loaded image: ${familiarString(ref)}\n`);
      }
      if (img.refs.length === 0) say(`Loaded image ID: ${img.id}\n`);
      this.publish('load', stored);
    });
  }

  /** Stores config + record for an image whose layers exist (under the lock). */
  private async storeImage(id: string, configBytes: Buffer, config: ImageConfigBlob, parent: string | undefined): Promise<StoredImage> {
    const existing = this.images.get(id);
    if (existing) return existing;
    await this.content.put(configBytes, id);
    const chains = chainIds(config.rootfs.diff_ids);
    for (const c of chains) if (!this.layers.has(c)) throw new NotFoundError(`layer ${c} does not exist`);
    const record: ImageRecord = { id, ...(parent ? { parent } : {}), stored: new Date().toISOString() };
    await this.saveRecord(record);
    const img: StoredImage = { id, config, chainIds: chains, record };
    this.images.set(id, img);
    return img;
  }

  /**
   * GET /images/get: resolves the names first (unknown ones are a 404 before anything
   * is written), then `write()` streams a docker-save archive. A name-only reference
   * saves every tag of that repository; an ID saves the image without tags.
   */
  prepareSave(names: string[]): { images: SaveImage[]; write(out: NodeJS.WritableStream): Promise<void> } {
    if (names.length === 0) throw new InvalidParameterError('no images specified');
    const byId = new Map<string, SaveImage>();
    const add = (img: StoredImage, ref: NamedRef | undefined): void => {
      const s = byId.get(img.id) ?? { id: img.id, diffIds: img.config.rootfs.diff_ids, refs: [] };
      if (ref && ref.tag !== undefined && ref.digest === undefined && !s.refs.some((r) => familiarString(r) === familiarString(ref))) {
        s.refs.push(ref);
      }
      byId.set(img.id, s);
    };
    for (const name of names) {
      const ref = parseAnyReference(name);
      if (!isNamed(ref) || isImageIdPrefixOfAny(name, this.images.keys())) {
        add(this.resolve(name), undefined);
        continue;
      }
      if (ref.tag === undefined && ref.digest === undefined) {
        const assocs = this.refs.byRepository(repositoryName(ref)).filter((a) => this.images.has(a.id));
        if (assocs.length) {
          for (const a of assocs) add(this.images.get(a.id)!, a.ref);
          continue;
        }
      }
      add(this.resolve(name), ref.digest === undefined ? withDefaultTag(ref) : undefined);
    }
    const images = [...byId.values()];
    return {
      images,
      write: async (out) => {
        await writeImageArchive(
          images,
          { size: (d) => this.content.size(d), open: (d) => this.content.openRead(d) },
          out,
        );
        for (const s of images) {
          const img = this.images.get(s.id);
          if (img) this.publish('save', img);
        }
      },
    };
  }

  // ---- import / create -------------------------------------------------------------

  /**
   * POST /images/create?fromSrc=-: a rootfs tarball (maybe gzip) becomes a one-layer
   * image; `changes` (Dockerfile CMD/ENV/...) set its config. Returns the image ID.
   */
  async importImage(
    input: NodeJS.ReadableStream,
    opts: { repo?: string; tag?: string; message?: string; changes?: string[]; src?: string },
  ): Promise<string> {
    // Check everything about the request before reading the body.
    const ref = opts.repo ? repoTagReference(opts.repo, opts.tag ?? '') : undefined;
    const config = applyChanges({}, opts.changes ?? []);
    const id = await this.createImage({
      layer: input,
      config,
      comment: opts.message || `Imported from ${opts.src ?? '-'}`,
      tag: ref,
    });
    const img = this.images.get(id);
    if (img) this.publish('import', img);
    return id;
  }

  /**
   * Creates an image on top of an optional parent: the parent's layers plus an optional
   * new layer tar, the parent's config (or `config`) with `changes` applied, and one new
   * history entry. This is what commit and build need. Returns the new image ID.
   */
  async createImage(opts: CreateImageOptions): Promise<string> {
    const parent = opts.parent !== undefined ? this.resolve(opts.parent) : undefined;
    let runtime: ImageRuntimeConfig = opts.config ?? structuredClone(parent?.config.config ?? {});
    if (opts.changes?.length) runtime = applyChanges(runtime, opts.changes);
    const parentChains = parent?.chainIds ?? [];
    const leased = [...parentChains];
    for (const c of leased) this.lease(c);
    try {
      const diffIds = [...(parent?.config.rootfs.diff_ids ?? [])];
      if (opts.layer) {
        const top = parentChains.length ? parentChains[parentChains.length - 1] : undefined;
        const l = await this.layers.apply(top, opts.layer, {
          hold: (c) => {
            this.lease(c);
            leased.push(c);
          },
        });
        diffIds.push(l.diffId);
      }
      const now = new Date().toISOString();
      const history = [...(parent?.config.history ?? [])];
      history.push({
        created: now,
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.createdBy ? { created_by: opts.createdBy } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
        ...(opts.layer ? {} : { empty_layer: true }),
      });
      const config: ImageConfigBlob = {
        architecture: parent?.config.architecture ?? this.platform().architecture,
        ...(parent?.config.variant ? { variant: parent.config.variant } : {}),
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
        config: runtime,
        created: now,
        docker_version: DOCKER_VERSION,
        history,
        os: parent?.config.os ?? 'linux',
        rootfs: { type: 'layers', diff_ids: diffIds },
      };
      const bytes = Buffer.from(JSON.stringify(config));
      const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const recordParent = parent && (opts.recordParent ?? true) ? parent.id : undefined;
      await this.lock.run(async () => {
        const img = await this.storeImage(id, bytes, config, recordParent);
        if (opts.tag) await this.setReference(img, opts.tag);
      });
      return id;
    } finally {
      for (const c of leased) this.release(c);
      // A failed apply or store may leave an unreferenced layer behind.
      await this.collectGarbage().catch((err: unknown) => log.warn('image gc failed', { err: errorMessage(err) }));
    }
  }

  // ---- registries -------------------------------------------------------------------

  setRegistry(r: RegistryClient): void {
    this.registry = r;
  }

  /** POST /images/create?fromImage=: pulls from a registry (image-pull.ts). */
  async pull(req: PullRequest, emit: Emit): Promise<void> {
    await pullImage(this.distribution(), req, emit);
  }

  /** POST /images/{name}/push (image-push.ts). */
  async push(req: PushRequest, emit: Emit): Promise<void> {
    await pushImage(this.distribution(), req, emit);
  }

  /** POST /auth: checks credentials against a registry. */
  async login(serverAddress: string, creds: Credentials): Promise<{ identityToken: string }> {
    return this.requireRegistry().login(serverAddress, creds);
  }

  private requireRegistry(): RegistryClient {
    if (!this.registry) throw new InvalidParameterError('no registry client is configured');
    return this.registry;
  }

  private distribution(): DistributionBackend {
    return {
      content: this.content,
      layers: this.layers,
      dist: this.dist,
      registry: this.requireRegistry(),
      transfers: this.transfers,
      downloadSlots: this.downloadSlots,
      uploadSlots: this.uploadSlots,
      platform: () => this.platform(),
      lease: (k) => this.lease(k),
      release: (k) => this.release(k),
      collectGarbage: (c) => this.collectGarbage(c),
      referenceTarget: (ref) => this.refs.get(ref),
      commitPulled: (p) =>
        this.lock.run(async () => {
          const img = await this.storeImage(p.id, p.configBytes, p.config, undefined);
          if (p.tag) await this.setReference(img, p.tag, false);
          await this.refs.set(p.digestRef, img.id);
          this.publish('pull', img, familiarString(p.tag ?? p.digestRef));
        }),
      tagsOf: (repo) => this.refs.byRepository(repo).filter((a) => a.ref.tag !== undefined && a.ref.digest === undefined && this.images.has(a.id)),
      imageConfig: async (id) => {
        const img = this.images.get(id);
        if (!img) throw new NotFoundError(`No such image: ${id}`);
        return { bytes: await this.content.read(id), config: img.config };
      },
      commitPushed: (id, ref) =>
        this.lock.run(async () => {
          const img = this.images.get(id);
          if (!img) return;
          await this.refs.set(ref, id);
          this.publish('push', img, familiarString(ref));
        }),
    };
  }

  // ---- helpers ---------------------------------------------------------------------

  platform(): { os: string; architecture: string } {
    return { os: 'linux', architecture: GO_ARCH[process.arch] ?? process.arch };
  }

  private recordPath(id: string): string {
    return path.join(this.recordDir, `${id.slice('sha256:'.length)}.json`);
  }

  private async saveRecord(r: ImageRecord): Promise<void> {
    try {
      await writeJsonAtomic(this.recordPath(r.id), r);
    } catch (err) {
      throw wrap(err, `save image record ${r.id}`);
    }
  }

  /** Image events carry `name` and the image's labels, as dockerd's do. */
  private publish(action: string, img: StoredImage, name = img.id): void {
    this.events.publish('image', action, img.id, { ...(img.config.config?.Labels ?? {}), name });
  }
}

/** dockerd's isImageIDPrefix: the reference typed is (a prefix of) the image's ID. */
function isImageIdPrefix(id: string, ref: string): boolean {
  const hex = id.slice('sha256:'.length);
  if (id.startsWith(ref) && ref.startsWith('sha256:') && ref.length > 7) return true;
  return hex.startsWith(ref) && /^[a-f0-9]+$/.test(ref);
}

function isImageIdPrefixOfAny(ref: string, ids: Iterable<string>): boolean {
  for (const id of ids) if (isImageIdPrefix(id, ref)) return true;
  return false;
}

/** True when all references are in one repository with at most one tag (false for none). */
function isSingleReference(refs: NamedRef[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: NamedRef | undefined;
  const canonicalRepos = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) canonicalRepos.add(repositoryName(r));
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0];
  return canonicalRepos.size === 1 && canonicalRepos.has(repositoryName(single));
}

function matchLabels(filters: string[], labels: Record<string, string>): boolean {
  return filters.every((f) => {
    const i = f.indexOf('=');
    if (i < 0) return f in labels;
    return labels[f.slice(0, i)] === f.slice(i + 1);
  });
}

/** `until`: unix seconds (maybe fractional), RFC 3339, or a Go duration before now. */
function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return Date.now() - Number(d[1]) * mult[d[2]];
  }
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t;
  throw new InvalidParameterError(`invalid filter 'until=${v}'`);
}
