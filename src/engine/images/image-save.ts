import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { tarStream } from '../../lib/lazy-modules.js';
import { MT } from './archive-manifest.js';
import { familiarName, familiarString, referenceString, type NamedRef } from './reference.js';

/**
 * Writes a `docker save` archive in the layout docker 25+ produces, which is at the same
 * time an OCI image layout: `blobs/sha256/<hex>` (configs, uncompressed layer tars, OCI
 * manifests), `index.json`, `oci-layout`, the classic `manifest.json` and the legacy
 * `repositories`. Used by GET /images/get and by the image-making tools.
 */

export interface BlobSource {
  size(digest: string): Promise<number>;
  open(digest: string): Promise<NodeJS.ReadableStream>;
}

export interface SaveImage {
  /** `sha256:` digest of the config blob. */
  id: string;
  /** Layer diffIDs (digests of the uncompressed layer blobs), bottom first. */
  diffIds: string[];
  /** Tags to record for this image (digest references are skipped). */
  refs: NamedRef[];
}

// Fixed times make the archive a function of the images alone.
const MTIME = new Date(0);

export async function writeImageArchive(images: SaveImage[], blobs: BlobSource, out: NodeJS.WritableStream): Promise<void> {
  const pack = tarStream().pack();
  const packEnded = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  // A client that goes away mid-download must not leave the writer waiting forever.
  const onClose = (): void => {
    if (!(out as Writable).writableFinished) pack.destroy(new Error('the client closed the connection'));
  };
  out.on('close', onClose);
  out.on('error', (err: unknown) => pack.destroy(err as Error));
  (pack as unknown as Readable).pipe(out as Writable);

  const add = (name: string, body: Buffer | string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, mode: 0o644, mtime: MTIME, type: 'file' }, body, (err) => (err ? reject(err) : resolve()));
    });
  const addStream = async (name: string, size: number, src: NodeJS.ReadableStream): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, mode: 0o644, mtime: MTIME, type: 'file', size }, (err) => (err ? reject(err) : resolve()));
      src.on('error', reject);
      src.pipe(sink as unknown as Writable);
    });
  const dir = (name: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, mode: 0o755, mtime: MTIME, type: 'directory' }, (err) => (err ? reject(err) : resolve()));
    });

  try {
    await dir('blobs');
    await dir('blobs/sha256');
    const written = new Set<string>();
    const blobPath = (d: string): string => `blobs/sha256/${d.slice('sha256:'.length)}`;
    const index: unknown[] = [];
    const manifest: unknown[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const img of images) {
      const configSize = await blobs.size(img.id);
      if (!written.has(img.id)) {
        await addStream(blobPath(img.id), configSize, await blobs.open(img.id));
        written.add(img.id);
      }
      const layers: { mediaType: string; digest: string; size: number }[] = [];
      for (const d of img.diffIds) {
        const size = await blobs.size(d);
        layers.push({ mediaType: MT.ociLayer, digest: d, size });
        if (!written.has(d)) {
          await addStream(blobPath(d), size, await blobs.open(d));
          written.add(d);
        }
      }
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: { mediaType: MT.ociConfig, digest: img.id, size: configSize },
          layers,
        }),
      );
      const mDigest = `sha256:${createHash('sha256').update(m).digest('hex')}`;
      if (!written.has(mDigest)) {
        await add(blobPath(mDigest), m);
        written.add(mDigest);
      }
      const tags = img.refs.filter((r) => r.tag !== undefined && r.digest === undefined);
      const desc = { mediaType: MT.ociManifest, digest: mDigest, size: m.length };
      if (tags.length === 0) index.push(desc);
      for (const r of tags) {
        index.push({
          ...desc,
          annotations: { 'io.containerd.image.name': referenceString(r), 'org.opencontainers.image.ref.name': r.tag },
        });
        if (img.diffIds.length) {
          (repositories[familiarName(r)] ??= {})[r.tag!] = img.diffIds[img.diffIds.length - 1].slice('sha256:'.length);
        }
      }
      manifest.push({
        Config: blobPath(img.id),
        RepoTags: tags.length ? tags.map(familiarString) : null,
        Layers: img.diffIds.map(blobPath),
      });
    }
    await add('index.json', JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: index }) + '\n');
    await add('manifest.json', JSON.stringify(manifest) + '\n');
    await add('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (Object.keys(repositories).length) await add('repositories', JSON.stringify(repositories) + '\n');
    pack.finalize();
    await packEnded;
    // stdout is never ended by pipe(); everything else must be flushed.
    if (out !== process.stdout) await finished(out as Writable);
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  } finally {
    out.off('close', onClose);
  }
}

/** A BlobSource over in-memory blobs (for tools and tests). */
export function memoryBlobs(blobs: Map<string, Buffer>): BlobSource {
  return {
    async size(d) {
      const b = blobs.get(d);
      if (!b) throw new Error(`blob ${d} missing`);
      return b.length;
    },
    async open(d) {
      const b = blobs.get(d);
      if (!b) throw new Error(`blob ${d} missing`);
      const { Readable } = await import('node:stream');
      return Readable.from([b]);
    },
  };
}
