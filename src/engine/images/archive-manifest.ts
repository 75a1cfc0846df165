import { createHash } from 'node:crypto';
import { InvalidParameterError, errorMessage } from '../../lib/errors.js';
import { isSha256Digest, parseNormalizedNamed, type NamedRef } from './reference.js';
import type { ImageConfigBlob } from './image-types.js';
import { MEDIA } from '../../drivers/registry/manifest.js';

/**
 * Reading image archives: `docker save` tarballs (manifest.json + config + layer tars;
 * docker 25+ adds index.json/oci-layout and puts everything under blobs/) and pure OCI
 * image layouts (index.json → manifests → blobs). This module is pure: it sees the
 * archive through ArchiveFiles and returns what to import.
 */

/** The image media types (one table, the registry driver's). */
export const MT = MEDIA;

const layerTypes = new Set<string>([
  MT.dockerLayer,
  MT.dockerLayerGzip,
  MT.dockerForeignLayerGzip,
  MT.ociLayer,
  MT.ociLayerGzip,
  MT.ociLayerNondist,
  MT.ociLayerNondistGzip,
]);

/** The archive's regular files (symlinks and hard links already resolved). */
export interface ArchiveFiles {
  has(name: string): boolean;
  read(name: string): Promise<Buffer>;
  /** sha256 digest of the file's content. */
  digest(name: string): string;
  size(name: string): number;
}

export interface PlannedLayer {
  /** File in the archive holding the layer tar (maybe gzip). */
  file: string;
  size: number;
}

export interface PlannedImage {
  /** `sha256:` digest of the config blob: the image ID. */
  id: string;
  configBytes: Buffer;
  config: ImageConfigBlob;
  layers: PlannedLayer[];
  /** Tags to set (docker-save RepoTags or OCI name annotations). */
  refs: NamedRef[];
}

interface DescriptorJson {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** Decides the archive format and returns the images it holds. */
export async function planLoad(files: ArchiveFiles, platform: { os: string; architecture: string }): Promise<PlannedImage[]> {
  if (files.has('manifest.json')) return planDockerSave(files);
  if (files.has('index.json')) return planOciLayout(files, platform);
  throw new InvalidParameterError(
    'invalid image archive: no manifest.json or index.json found (expected a docker save tarball or an OCI image layout)',
  );
}

async function readJsonFile<T>(files: ArchiveFiles, name: string, what: string): Promise<T> {
  if (!files.has(name)) throw new InvalidParameterError(`invalid image archive: ${what} ${name} is missing`);
  try {
    return JSON.parse((await files.read(name)).toString('utf8')) as T;
  } catch (err) {
    throw new InvalidParameterError(`invalid image archive: ${what} ${name} is not valid JSON: ${errorMessage(err)}`);
  }
}

/** Parses and checks an image config blob. */
export function parseImageConfig(bytes: Buffer, where: string): ImageConfigBlob {
  let config: ImageConfigBlob;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfigBlob;
  } catch (err) {
    throw new InvalidParameterError(`invalid image config ${where}: ${errorMessage(err)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidParameterError(`invalid image config ${where}: not a JSON object`);
  }
  const rootfs = config.rootfs;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new InvalidParameterError(`invalid image config ${where}: rootfs must be {"type":"layers","diff_ids":[...]}`);
  }
  for (const d of rootfs.diff_ids) {
    if (typeof d !== 'string' || !isSha256Digest(d)) throw new InvalidParameterError(`invalid image config ${where}: bad diff_id ${JSON.stringify(d)}`);
  }
  return config;
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A `blobs/sha256/<hex>` path names its own digest: check it. */
function checkBlobPath(files: ArchiveFiles, name: string): void {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  if (m && files.digest(name) !== `sha256:${m[1]}`) {
    throw new InvalidParameterError(`invalid image archive: ${name} does not match its digest (got ${files.digest(name)})`);
  }
}

function parseRepoTag(tag: unknown): NamedRef {
  if (typeof tag !== 'string') throw new InvalidParameterError(`invalid image archive: invalid tag ${JSON.stringify(tag)}`);
  const ref = parseNormalizedNamed(tag);
  if (ref.tag === undefined || ref.digest !== undefined) throw new InvalidParameterError(`invalid tag "${tag}"`);
  return ref;
}

async function planDockerSave(files: ArchiveFiles): Promise<PlannedImage[]> {
  const manifest = await readJsonFile<unknown>(files, 'manifest.json', 'manifest');
  if (!Array.isArray(manifest)) throw new InvalidParameterError('invalid image archive: manifest.json must be a JSON array');
  const out: PlannedImage[] = [];
  for (const [i, e] of manifest.entries()) {
    const entry = e as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof entry !== 'object' || entry === null || typeof entry.Config !== 'string') {
      throw new InvalidParameterError(`invalid image archive: manifest.json entry ${i} has no Config`);
    }
    if (entry.Layers !== undefined && entry.Layers !== null && (!Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string'))) {
      throw new InvalidParameterError(`invalid image archive: manifest.json entry ${i}: Layers must be a list of paths`);
    }
    const layerNames = (entry.Layers ?? []) as string[];
    if (entry.RepoTags !== undefined && entry.RepoTags !== null && !Array.isArray(entry.RepoTags)) {
      throw new InvalidParameterError(`invalid image archive: manifest.json entry ${i}: RepoTags must be a list`);
    }
    const refs = ((entry.RepoTags ?? []) as unknown[]).map(parseRepoTag);
    const configName = clean(entry.Config);
    if (!files.has(configName)) throw new InvalidParameterError(`invalid image archive: config ${entry.Config} is missing`);
    checkBlobPath(files, configName);
    const configBytes = await files.read(configName);
    const config = parseImageConfig(configBytes, entry.Config);
    if (config.rootfs.diff_ids.length !== layerNames.length) {
      throw new InvalidParameterError(
        `invalid manifest, layers length mismatch: expected ${config.rootfs.diff_ids.length}, got ${layerNames.length}`,
      );
    }
    const layers = layerNames.map((l) => {
      const name = clean(l);
      if (!files.has(name)) throw new InvalidParameterError(`invalid image archive: layer ${l} is missing`);
      checkBlobPath(files, name);
      return { file: name, size: files.size(name) };
    });
    out.push({ id: sha256(configBytes), configBytes, config, layers, refs });
  }
  return out;
}

function blobName(d: DescriptorJson, what: string): string {
  if (typeof d.digest !== 'string' || !isSha256Digest(d.digest)) {
    throw new InvalidParameterError(`invalid image archive: ${what} has an unsupported digest ${JSON.stringify(d.digest)}`);
  }
  return `blobs/sha256/${d.digest.slice('sha256:'.length)}`;
}

function checkDescriptor(files: ArchiveFiles, d: DescriptorJson, what: string): string {
  const name = blobName(d, what);
  if (!files.has(name)) throw new InvalidParameterError(`invalid image archive: ${what} blob ${d.digest} is missing`);
  if (files.digest(name) !== d.digest) throw new InvalidParameterError(`invalid image archive: blob ${d.digest} does not match its digest`);
  if (typeof d.size === 'number' && files.size(name) !== d.size) {
    throw new InvalidParameterError(`invalid image archive: blob ${d.digest} has size ${files.size(name)}, expected ${d.size}`);
  }
  return name;
}

/** The reference an OCI layout gives a manifest, if it gives a full one. */
function ociRefName(annotations: Record<string, string> | undefined): NamedRef | undefined {
  const full = annotations?.['io.containerd.image.name'];
  const refName = annotations?.['org.opencontainers.image.ref.name'];
  for (const cand of [full, refName]) {
    if (!cand) continue;
    // A bare ref.name ("latest") names a tag without a repository: not a usable name.
    if (cand === refName && !/[:/]/.test(cand)) continue;
    try {
      const ref = parseNormalizedNamed(cand);
      if (ref.digest === undefined) return ref.tag === undefined ? { ...ref, tag: 'latest' } : ref;
    } catch {
      /* not a reference: leave the image untagged */
    }
  }
  return undefined;
}

async function planOciLayout(files: ArchiveFiles, platform: { os: string; architecture: string }): Promise<PlannedImage[]> {
  const index = await readJsonFile<{ manifests?: DescriptorJson[] }>(files, 'index.json', 'index');
  if (!index || !Array.isArray(index.manifests)) throw new InvalidParameterError('invalid image archive: index.json has no manifests');
  const byId = new Map<string, PlannedImage>();
  const visit = async (d: DescriptorJson, ref: NamedRef | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw new InvalidParameterError('invalid image archive: image indexes nested too deeply');
    const name = checkDescriptor(files, d, 'manifest');
    const body = await readJsonFile<{ mediaType?: string; manifests?: DescriptorJson[]; config?: DescriptorJson; layers?: DescriptorJson[] }>(
      files,
      name,
      'manifest',
    );
    const mt = d.mediaType ?? body.mediaType;
    if (mt === MT.ociIndex || mt === MT.dockerManifestList || (mt === undefined && Array.isArray(body.manifests))) {
      const list = body.manifests ?? [];
      const match =
        list.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture) ??
        list.find((m) => !m.platform);
      if (!match) {
        throw new InvalidParameterError(`no matching manifest for ${platform.os}/${platform.architecture} in the manifest list entries`);
      }
      await visit(match, ref, depth + 1);
      return;
    }
    if (mt !== undefined && mt !== MT.ociManifest && mt !== MT.dockerManifest) {
      throw new InvalidParameterError(`invalid image archive: unsupported manifest media type ${mt}`);
    }
    if (!body.config) throw new InvalidParameterError(`invalid image archive: manifest ${d.digest} has no config`);
    const configName = checkDescriptor(files, body.config, 'config');
    const configBytes = await files.read(configName);
    const config = parseImageConfig(configBytes, body.config.digest ?? configName);
    const layerDescs = body.layers ?? [];
    if (config.rootfs.diff_ids.length !== layerDescs.length) {
      throw new InvalidParameterError(
        `invalid manifest, layers length mismatch: expected ${config.rootfs.diff_ids.length}, got ${layerDescs.length}`,
      );
    }
    const layers = layerDescs.map((l) => {
      if (l.mediaType === MT.ociLayerZstd) throw new InvalidParameterError('zstd-compressed layers are not supported');
      if (l.mediaType !== undefined && !layerTypes.has(l.mediaType)) {
        throw new InvalidParameterError(`invalid image archive: unsupported layer media type ${l.mediaType}`);
      }
      const file = checkDescriptor(files, l, 'layer');
      return { file, size: files.size(file) };
    });
    const id = sha256(configBytes);
    const img = byId.get(id) ?? { id, configBytes, config, layers, refs: [] };
    if (ref && !img.refs.some((r) => r.domain === ref.domain && r.path === ref.path && r.tag === ref.tag)) img.refs.push(ref);
    byId.set(id, img);
  };
  for (const d of index.manifests) await visit(d, ociRefName(d.annotations), 0);
  return [...byId.values()];
}

function clean(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}
