/**
 * `POST /images/create?fromImage=`: pulls an image from a registry the way dockerd does.
 * The manifest is resolved (an index to this host's platform, or `--platform`), the
 * config fetched and checked, then the layers not already here are downloaded
 * (3 at a time daemon-wide, one download per blob however many pulls want it), each
 * streamed into the content store and verified against its digest, and unpacked in
 * order as soon as it and the layers below it are in. Only then are the image and its
 * references stored: a failed pull leaves the store as it was.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { Transform } from 'node:stream';
import { InvalidParameterError, NotFoundError, SystemError, UnauthorizedError, UnavailableError, errorMessage, wrap } from '../../lib/errors.js';
import type { BlobWriter } from '../../drivers/storage/content-store.js';
import { chainIds } from '../../drivers/storage/layer-store.js';
import { NetworkError } from '../../drivers/registry/http.js';
import {
  ManifestError,
  UNPACKABLE_LAYERS,
  normalizePlatform,
  parseManifest,
  platformMatches,
  platformString,
  selectPlatform,
  sha256Digest,
  type Descriptor,
  type Platform,
} from '../../drivers/registry/manifest.js';
import { registryErrorInfo, type Credentials, type Repository } from '../../drivers/registry/registry-client.js';
import { parseImageConfig } from './archive-manifest.js';
import type { DistributionBackend, Emit } from './distribution-backend.js';
import { progressBar } from './image-load.js';
import { familiarName, familiarString, repositoryName, shortId, type NamedRef } from './reference.js';
import type { TransferEvent } from './transfers.js';

export interface PullRequest {
  /** Without tag and digest: every tag of the repository. */
  ref: NamedRef;
  /** `--platform`; default this host's. */
  platform?: Platform;
  creds?: Credentials;
}

/** Attempts for one blob before giving up (the first try included). */
export const DOWNLOAD_ATTEMPTS = 5;
const RETRY_BASE_MS = 250;
const PROGRESS_EVERY = 512 * 1024;

/** Pulls one reference (or all tags of a repository); reports on `emit`. */
export async function pullImage(b: DistributionBackend, req: PullRequest, emit: Emit): Promise<void> {
  const ref = req.ref;
  const want = normalizePlatform(req.platform ?? b.platform());
  const repo = await b.registry.repository(ref.domain, ref.path, { creds: req.creds });
  if (ref.tag === undefined && ref.digest === undefined) {
    let tags: string[];
    try {
      tags = await repo.listTags();
    } catch (err) {
      throw translatePullError(err, ref);
    }
    if (tags.length === 0) throw new NotFoundError(`no tags found for ${familiarName(ref)}`);
    let newer = false;
    for (const tag of tags.sort()) newer = (await pullOne(b, repo, { domain: ref.domain, path: ref.path, tag }, want, emit)) || newer;
    emit({ status: statusLine(newer, familiarName(ref)) });
    return;
  }
  const newer = await pullOne(b, repo, ref, want, emit);
  emit({ status: statusLine(newer, familiarString(ref)) });
}

function statusLine(newer: boolean, name: string): string {
  return newer ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}`;
}

/** dockerd's translatePullError: registry refusals worded for the reference. */
export function translatePullError(err: unknown, ref: NamedRef): Error {
  const info = registryErrorInfo(err);
  const msg = errorMessage(err);
  switch (info?.code) {
    case 'DENIED':
    case 'UNAUTHORIZED':
      return new NotFoundError(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${msg}`, { cause: err });
    case 'MANIFEST_UNKNOWN':
      return new NotFoundError(`manifest for ${familiarString(ref)} not found: ${msg}`, { cause: err });
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${familiarName(ref)} not found: ${msg}`, { cause: err });
  }
  // Never a 401 to the client: the docker CLI would take it for its own missing login
  // and prompt for one (dockerd answers registry auth failures as a 500 too).
  if (err instanceof UnauthorizedError) return new SystemError(msg, { cause: err });
  return err instanceof Error ? err : new Error(msg);
}

interface ResolvedImage {
  /** Digest of what the reference resolved to (the RepoDigest). */
  digest: string;
  manifest: { digest: string; mediaType: string; bytes: Buffer; config: Descriptor; layers: Descriptor[] };
  index?: { digest: string; mediaType: string; bytes: Buffer };
}

async function fetchManifest(repo: Repository, reference: string, ref: NamedRef): Promise<{ bytes: Buffer; digest: string; contentType: string }> {
  let m;
  try {
    m = await repo.getManifest(reference);
  } catch (err) {
    throw translatePullError(err, ref);
  }
  const digest = sha256Digest(m.bytes);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new InvalidParameterError(`manifest verification failed for digest ${reference}`);
  }
  if (m.headerDigest && m.headerDigest.startsWith('sha256:') && m.headerDigest !== digest) {
    throw new InvalidParameterError(`manifest verification failed for digest ${m.headerDigest}`);
  }
  return { bytes: m.bytes, digest, contentType: m.contentType };
}

async function resolve(repo: Repository, ref: NamedRef, want: Platform): Promise<ResolvedImage> {
  const top = await fetchManifest(repo, ref.digest ?? ref.tag!, ref);
  const parsed = parseManifest(top.bytes, top.contentType);
  if (parsed.kind === 'image') {
    return { digest: top.digest, manifest: { digest: top.digest, mediaType: parsed.mediaType, bytes: top.bytes, config: parsed.config, layers: parsed.layers } };
  }
  const pick = selectPlatform(parsed.manifests, want);
  if (!pick) throw new NotFoundError(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  const inner = await fetchManifest(repo, pick.digest, ref);
  if (inner.digest !== pick.digest) throw new InvalidParameterError(`manifest verification failed for digest ${pick.digest}`);
  const p = parseManifest(inner.bytes, pick.mediaType || inner.contentType);
  if (p.kind !== 'image') throw new ManifestError(`invalid manifest: the index entry for ${platformString(want)} is itself an index`);
  return {
    digest: top.digest,
    index: { digest: top.digest, mediaType: parsed.mediaType, bytes: top.bytes },
    manifest: { digest: inner.digest, mediaType: p.mediaType, bytes: inner.bytes, config: p.config, layers: p.layers },
  };
}

/** Pulls one tag or digest; true when the reference now points at a different image. */
async function pullOne(b: DistributionBackend, repo: Repository, ref: NamedRef, want: Platform, emit: Emit): Promise<boolean> {
  const held: string[] = [];
  const hold = (k: string): void => {
    b.lease(k);
    held.push(k);
  };
  /** Blobs this pull wrote: removed again if it fails. */
  const written: string[] = [];
  let ok = false;
  try {
    const r = await resolve(repo, ref, want);
    // As dockerd: only a manifest that was found starts the progress stream.
    // dockerd names the repository by its path: "library/busybox", "bb".
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag });
    const m = r.manifest;
    for (const l of m.layers) {
      if (!UNPACKABLE_LAYERS.has(l.mediaType) && l.mediaType !== '') {
        throw new InvalidParameterError(`unsupported media type ${l.mediaType} for layer ${l.digest}: berth unpacks uncompressed and gzip layers only`);
      }
    }
    let configBytes: Buffer;
    try {
      configBytes = await repo.getSmallBlob(m.config.digest);
    } catch (err) {
      throw wrap(translatePullError(err, ref), 'error pulling image configuration');
    }
    const config = parseImageConfig(configBytes, m.config.digest);
    const have: Platform = { os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) };
    if (!platformMatches(have, want)) {
      throw new NotFoundError(
        `image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${platformString(want)}, actual: ${platformString(have)}`,
      );
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== m.layers.length) {
      throw new ManifestError(`invalid manifest: it has ${m.layers.length} layers, the image config ${diffIds.length} diff IDs`);
    }
    const chains = chainIds(diffIds);
    for (const c of chains) hold(c);
    for (const l of m.layers) hold(l.digest);
    for (const d of [m.config.digest, m.digest, r.index?.digest]) if (d) hold(d);

    // Layers already here (their whole chain) are skipped, the others downloaded.
    const existing = chains.map((c) => b.layers.has(c));
    for (const [i, l] of m.layers.entries()) {
      emit({ status: existing[i] ? 'Already exists' : 'Pulling fs layer', progressDetail: {}, id: shortId(l.digest) });
    }
    const downloads = m.layers.map((l, i) => (existing[i] ? Promise.resolve() : download(b, repo, l, emit, written)));
    // Nothing is left unobserved if an earlier layer fails first.
    for (const d of downloads) d.catch(() => undefined);
    let parent: string | undefined;
    for (const [i, l] of m.layers.entries()) {
      if (!existing[i]) {
        await downloads[i];
        await extract(b, l, parent, diffIds[i], chains[i], emit);
        emit({ status: 'Pull complete', progressDetail: {}, id: shortId(l.digest) });
      }
      parent = chains[i];
    }

    // Everything is in: keep the registry forms, then the image and its references.
    await putBlob(b, m.bytes, m.digest, written);
    if (r.index) await putBlob(b, r.index.bytes, r.index.digest, written);
    const repoName = repositoryName(ref);
    for (const [i, l] of m.layers.entries()) {
      await b.dist.addLayerBlob(diffIds[i], { digest: l.digest, mediaType: l.mediaType || 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.size }, repoName);
    }
    const digestRef: NamedRef = { domain: ref.domain, path: ref.path, digest: r.digest };
    const before = b.referenceTarget(ref.digest !== undefined ? digestRef : ref);
    await b.commitPulled({ id: m.config.digest, configBytes, config, ...(ref.tag !== undefined && ref.digest === undefined ? { tag: ref } : {}), digestRef });
    // After the image exists (the leases keep the manifests meanwhile).
    await b.dist.addManifest(m.config.digest, { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length, kind: 'image' }, repoName);
    if (r.index) await b.dist.addManifest(m.config.digest, { digest: r.index.digest, mediaType: r.index.mediaType, size: r.index.bytes.length, kind: 'index' }, repoName);
    emit({ status: `Digest: ${r.digest}` });
    ok = true;
    return before !== m.config.digest;
  } finally {
    for (const k of held) b.release(k);
    if (!ok) await b.collectGarbage(written).catch(() => undefined);
  }
}

async function putBlob(b: DistributionBackend, bytes: Buffer, digest: string, written: string[]): Promise<void> {
  if (await b.content.has(digest)) return;
  await b.content.put(bytes, digest);
  written.push(digest);
}

/** The layer's blob into the content store (shared with other pulls of the same blob). */
function download(b: DistributionBackend, repo: Repository, l: Descriptor, emit: Emit, written: string[]): Promise<void> {
  const id = shortId(l.digest);
  const watch = (e: TransferEvent): void => {
    if (e.current !== undefined) {
      emit({ status: e.status, progressDetail: { current: e.current, total: e.total }, progress: progressBar(e.current, e.total ?? 0), id });
    } else emit({ status: e.status, progressDetail: {}, id });
  };
  return b.transfers.run(`download:${l.digest}`, b.downloadSlots, watch, async (report) => {
    if (await b.content.has(l.digest)) {
      report({ status: 'Download complete' });
      return;
    }
    await fetchBlob(b, repo, l, report);
    written.push(l.digest);
  });
}

/**
 * Streams a blob into a content-store ingest, resuming with a Range request after a cut
 * connection (a few times, with backoff), then verifies the digest. On failure the
 * ingest is dropped: nothing partial is ever visible.
 */
async function fetchBlob(b: DistributionBackend, repo: Repository, l: Descriptor, report: (e: TransferEvent) => void): Promise<void> {
  let w: BlobWriter = await b.content.writer();
  let offset = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await repo.getBlob(l.digest, offset);
        if (offset > 0 && !res.resumed) {
          // The registry started over from byte 0: so do we.
          await w.abort();
          w = await b.content.writer();
          offset = 0;
        }
        let lastReport = -1;
        report({ status: 'Downloading', current: offset, total: l.size });
        for await (const chunk of res.stream as AsyncIterable<Buffer>) {
          offset += chunk.length;
          if (offset > l.size) {
            res.stream.destroy();
            throw new InvalidParameterError(`filesystem layer verification failed for digest ${l.digest}: the registry sent more than the ${l.size} bytes announced`);
          }
          if (!w.stream.write(chunk)) await once(w.stream, 'drain');
          if (offset - lastReport >= PROGRESS_EVERY || offset === l.size) {
            lastReport = offset;
            report({ status: 'Downloading', current: offset, total: l.size });
          }
        }
        if (offset < l.size) throw new NetworkError(`Get blob ${l.digest}: unexpected EOF`);
        break;
      } catch (err) {
        const retryable = err instanceof NetworkError || (err instanceof UnavailableError && !registryErrorInfo(err)) || isSocketError(err);
        if (!retryable) throw err;
        if (attempt >= DOWNLOAD_ATTEMPTS) {
          throw new UnavailableError(`failed to download layer ${l.digest} from ${repositoryName({ domain: repo.domain, path: repo.name })} after ${attempt} attempts: ${describe(err)}`, {
            cause: err,
          });
        }
        const delay = RETRY_BASE_MS * 2 ** (attempt - 1);
        report({ status: `Retrying in ${Math.max(1, Math.round(delay / 1000))} second${delay > 1000 ? 's' : ''}` });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    report({ status: 'Verifying Checksum' });
    try {
      await w.commit(l.digest);
    } catch (err) {
      if (err instanceof InvalidParameterError) throw new InvalidParameterError(`filesystem layer verification failed for digest ${l.digest}`, { cause: err });
      throw err;
    }
    report({ status: 'Download complete' });
  } catch (err) {
    await w.abort();
    throw err;
  }
}

function isSocketError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ERR_STREAM_PREMATURE_CLOSE' || errorMessage(err) === 'aborted';
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNRESET' || errorMessage(err) === 'aborted' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'unexpected EOF';
  return errorMessage(err);
}

/** Unpacks a downloaded layer on its parent (once, however many pulls want that chain). */
function extract(b: DistributionBackend, l: Descriptor, parent: string | undefined, diffId: string, chain: string, emit: Emit): Promise<void> {
  const id = shortId(l.digest);
  const watch = (e: TransferEvent): void => {
    if (e.current !== undefined) emit({ status: e.status, progressDetail: { current: e.current, total: e.total }, progress: progressBar(e.current, e.total ?? 0), id });
  };
  return b.transfers.run(`extract:${chain}`, undefined, watch, async (report) => {
    if (b.layers.has(chain)) return;
    const total = l.size;
    let current = 0;
    let last = -1;
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        current += chunk.length;
        if (current - last >= PROGRESS_EVERY || current === total) {
          last = current;
          report({ status: 'Extracting', current, total });
        }
        cb(null, chunk);
      },
    });
    const src = createReadStream(b.content.blobPath(l.digest), { highWaterMark: 1 << 20 });
    src.on('error', (err) => tap.destroy(err));
    src.pipe(tap);
    try {
      await b.layers.apply(parent, tap, { expectedDiffId: diffId });
    } catch (err) {
      throw wrap(err, 'failed to register layer');
    }
  });
}
