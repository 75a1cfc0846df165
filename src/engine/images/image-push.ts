/**
 * `POST /images/{name}/push`: uploads tagged images to a registry as dockerd does. Per
 * layer (5 at a time daemon-wide): skip it if the repository has one of its known
 * registry forms ("Layer already exists"), else mount it from another repository of the
 * same registry that has it ("Mounted from X"), else upload — the kept compressed blob
 * of a pulled layer as is (monolithic PUT), or a layer made here gzip-compressed on the
 * fly (chunked PATCH, then PUT ?digest=), keeping the result for the next push. Then the
 * config and the manifest; an image that was pulled is pushed with its original
 * manifest bytes, so it keeps its digest.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { InvalidParameterError, NotFoundError, errorMessage } from '../../lib/errors.js';
import { NetworkError } from '../../drivers/registry/http.js';
import { MEDIA, buildImageManifest, parseManifest, type Descriptor } from '../../drivers/registry/manifest.js';
import type { Credentials, Repository } from '../../drivers/registry/registry-client.js';
import type { DistributionBackend, Emit } from './distribution-backend.js';
import type { LayerBlob } from './distribution-store.js';
import { progressBar } from './image-load.js';
import { familiarName, familiarString, repositoryName, shortId, type NamedRef } from './reference.js';
import type { TransferEvent } from './transfers.js';

export interface PushRequest {
  /** Without a tag: every tag of the repository. */
  ref: NamedRef;
  creds?: Credentials;
}

const UPLOAD_ATTEMPTS = 3;
const PROGRESS_EVERY = 512 * 1024;

export async function pushImage(b: DistributionBackend, req: PushRequest, emit: Emit): Promise<void> {
  const ref = req.ref;
  if (ref.digest !== undefined) throw new InvalidParameterError('cannot push a digest reference');
  const repoName = repositoryName(ref);
  let targets = b.tagsOf(repoName);
  if (targets.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  if (ref.tag !== undefined) {
    targets = targets.filter((t) => t.ref.tag === ref.tag);
    if (targets.length === 0) throw new NotFoundError(`tag does not exist: ${familiarString(ref)}`);
  }
  emit({ status: `The push refers to repository [${repoName}]` });
  const repo = await b.registry.repository(ref.domain, ref.path, { creds: req.creds, push: true });
  for (const t of targets) await pushTag(b, repo, t.ref, t.id, emit);
}

async function pushTag(b: DistributionBackend, repo: Repository, ref: NamedRef, id: string, emit: Emit): Promise<void> {
  const { bytes: configBytes, config } = await b.imageConfig(id);
  const diffIds = config.rootfs.diff_ids;
  const repoName = repositoryName(ref);
  // The manifest the image was pulled as, if its blobs are all still here.
  const original = await originalManifest(b, id, diffIds);
  // Layers are shown and pushed top first, as dockerd does.
  const order = diffIds.map((_, i) => diffIds.length - 1 - i);
  for (const i of order) emit({ status: 'Preparing', progressDetail: {}, id: shortId(diffIds[i]) });
  const held: string[] = [];
  try {
    for (const d of diffIds) {
      b.lease(d);
      held.push(d);
    }
    const results = order.map((i) =>
      uploadLayer(b, repo, repoName, diffIds[i], original?.layers[i], emit).then((desc) => ({ i, desc })),
    );
    for (const r of results) r.catch(() => undefined);
    const layers: Descriptor[] = new Array(diffIds.length);
    for (const r of results) {
      const { i, desc } = await r;
      layers[i] = desc;
    }
    const configDesc: Descriptor = { mediaType: original?.configMediaType ?? MEDIA.dockerConfig, digest: id, size: configBytes.length };
    if ((await repo.statBlob(id)) === undefined) {
      const up = await repo.startUpload();
      if (!up.mounted) await repo.putBlob(up.location, id, configBytes.length, configBytes);
    }
    let manifest: { bytes: Buffer; mediaType: string };
    if (original && original.layers.every((l, i) => l.digest === layers[i].digest)) manifest = { bytes: original.bytes, mediaType: original.mediaType };
    else manifest = { bytes: buildImageManifest(configDesc, layers), mediaType: MEDIA.dockerManifest };
    const tag = ref.tag ?? 'latest';
    const digest = await repo.putManifest(tag, manifest.mediaType, manifest.bytes);
    if (!(await b.content.has(digest))) await b.content.put(manifest.bytes, digest);
    await b.dist.addManifest(id, { digest, mediaType: manifest.mediaType, size: manifest.bytes.length, kind: 'image' }, repoName);
    await b.commitPushed(id, { domain: ref.domain, path: ref.path, digest });
    emit({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
    emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.bytes.length } });
  } finally {
    for (const d of held) b.release(d);
  }
}

interface OriginalManifest {
  bytes: Buffer;
  mediaType: string;
  configMediaType: string;
  layers: Descriptor[];
}

async function originalManifest(b: DistributionBackend, id: string, diffIds: string[]): Promise<OriginalManifest | undefined> {
  for (const m of b.dist.manifests(id)) {
    if (m.kind !== 'image' || !(await b.content.has(m.digest))) continue;
    try {
      const bytes = await b.content.read(m.digest);
      const p = parseManifest(bytes, m.mediaType);
      if (p.kind !== 'image' || p.config.digest !== id || p.layers.length !== diffIds.length) continue;
      // Used only if every layer ends up pushed as the very blob it names.
      return { bytes, mediaType: p.mediaType, configMediaType: p.config.mediaType, layers: p.layers };
    } catch {
      /* unusable: build a new one */
    }
  }
  return undefined;
}

/** Pushes one layer; returns the descriptor the manifest names it by. */
function uploadLayer(b: DistributionBackend, repo: Repository, repoName: string, diffId: string, preferred: Descriptor | undefined, emit: Emit): Promise<Descriptor> {
  const id = shortId(diffId);
  const watch = (e: TransferEvent): void => {
    if (e.current !== undefined) emit({ status: e.status, progressDetail: { current: e.current, total: e.total }, progress: progressBar(e.current, e.total ?? 0), id });
    else emit({ status: e.status, progressDetail: {}, id });
  };
  return b.transfers.run(`upload:${repoName}:${diffId}`, b.uploadSlots, watch, async (report) => {
    // Known registry forms, the one the original manifest names first. Those we do not
    // hold (a layer that "Already exists" when it was pulled) may still be found or
    // mounted remotely.
    const known = [...b.dist.layerBlobs(diffId)];
    if (preferred) known.sort((x, y) => (x.digest === preferred.digest ? -1 : y.digest === preferred.digest ? 1 : 0));
    for (const k of known) {
      if ((await repo.statBlob(k.digest)) !== undefined) {
        await b.dist.addLayerBlob(diffId, k, repoName);
        report({ status: 'Layer already exists' });
        return desc(k);
      }
    }
    for (const k of known) {
      const from = k.repos.find((r) => r !== repoName && r.startsWith(`${repo.domain}/`));
      if (!from) continue;
      const fromPath = from.slice(repo.domain.length + 1);
      const up = await repo.startUpload({ digest: k.digest, from: fromPath });
      if (up.mounted) {
        await b.dist.addLayerBlob(diffId, k, repoName);
        report({ status: `Mounted from ${fromPath}` });
        return desc(k);
      }
      await repo.cancelUpload(up.location);
    }
    const held: LayerBlob[] = [];
    for (const k of known) if (await b.content.has(k.digest)) held.push(k);
    for (let attempt = 1; ; attempt++) {
      try {
        const out = held.length ? await uploadKnown(b, repo, held[0], report) : await uploadCompressed(b, repo, diffId, report);
        await b.dist.addLayerBlob(diffId, out, repoName);
        report({ status: 'Pushed' });
        return desc(out);
      } catch (err) {
        if (!(err instanceof NetworkError) || attempt >= UPLOAD_ATTEMPTS) throw err;
        report({ status: `Retrying in ${attempt} second${attempt > 1 ? 's' : ''}` });
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  });
}

function desc(k: Pick<LayerBlob, 'digest' | 'mediaType' | 'size'>): Descriptor {
  return { mediaType: k.mediaType, digest: k.digest, size: k.size };
}

function progressTap(total: number, report: (e: TransferEvent) => void): Transform {
  let current = 0;
  let last = -1;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      current += chunk.length;
      if (current - last >= PROGRESS_EVERY || current === total) {
        last = current;
        report({ status: 'Pushing', current, total });
      }
      cb(null, chunk);
    },
  });
}

/** A blob we hold under its registry digest: one monolithic PUT, streamed from disk. */
async function uploadKnown(b: DistributionBackend, repo: Repository, k: LayerBlob, report: (e: TransferEvent) => void): Promise<Omit<LayerBlob, 'repos'>> {
  const up = await repo.startUpload();
  if (up.mounted) return k;
  const size = await b.content.size(k.digest);
  const src = createReadStream(b.content.blobPath(k.digest), { highWaterMark: 1 << 20 });
  const tap = progressTap(size, report);
  src.on('error', (err) => tap.destroy(err));
  src.pipe(tap);
  try {
    await repo.putBlob(up.location, k.digest, size, tap);
  } catch (err) {
    src.destroy();
    await repo.cancelUpload(up.location);
    throw err;
  }
  return { digest: k.digest, mediaType: k.mediaType, size };
}

/**
 * A layer made here: its tar gzip-compressed on the fly, streamed as one PATCH while the
 * compressed bytes are hashed and kept in the content store; PUT ?digest= ends it.
 */
async function uploadCompressed(b: DistributionBackend, repo: Repository, diffId: string, report: (e: TransferEvent) => void): Promise<Omit<LayerBlob, 'repos'>> {
  const total = await b.content.size(diffId);
  const up = await repo.startUpload();
  if (up.mounted) throw new InvalidParameterError('the registry mounted a blob it was not asked to mount');
  const writer = await b.content.writer();
  const hash = createHash('sha256');
  let size = 0;
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const keep = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      if (writer.stream.write(chunk)) cb(null, chunk);
      else once(writer.stream, 'drain').then(() => cb(null, chunk), cb);
    },
  });
  // 1 MB reads and output chunks: zlib's 16 KB default makes compressing several times slower.
  const src = createReadStream(b.content.blobPath(diffId), { highWaterMark: 1 << 20 });
  const compressing = pipeline(src, progressTap(total, report), createGzip({ level: 1, chunkSize: 1 << 20 }), keep, body);
  try {
    const [, location] = await Promise.all([compressing, repo.patchBlob(up.location, body)]);
    const digest = `sha256:${hash.digest('hex')}`;
    await repo.commitUpload(location, digest);
    await writer.commit(digest);
    return { digest, mediaType: MEDIA.dockerLayerGzip, size };
  } catch (err) {
    src.destroy();
    body.destroy();
    await writer.abort();
    await repo.cancelUpload(up.location);
    throw err instanceof Error ? err : new Error(errorMessage(err));
  }
}
