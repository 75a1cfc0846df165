import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MT, planLoad, type ArchiveFiles } from '../../src/engine/images/archive-manifest.js';
import { familiarString } from '../../src/engine/images/reference.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

const platform = { os: 'linux', architecture: 'amd64' };
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function archive(files: Record<string, Buffer | string>): ArchiveFiles {
  const m = new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
  const get = (n: string): Buffer => {
    const b = m.get(n);
    if (!b) throw new Error(`missing ${n}`);
    return b;
  };
  return {
    has: (n) => m.has(n),
    read: async (n) => get(n),
    digest: (n) => sha(get(n)),
    size: (n) => get(n).length,
  };
}

const layer1 = Buffer.from('layer-one-tar');
const layer2 = Buffer.from('layer-two-tar');
const config = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha(layer1), sha(layer2)] } });
const blob = (d: string): string => `blobs/sha256/${d.slice(7)}`;

test('classic docker save: manifest.json with <id>/layer.tar paths', async () => {
  const files = archive({
    'manifest.json': JSON.stringify([{ Config: 'abc.json', RepoTags: ['busybox:latest', 'me/app:1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]),
    'abc.json': config,
    'l1/layer.tar': layer1,
    'l2/layer.tar': layer2,
  });
  const [img, ...rest] = await planLoad(files, platform);
  assert.equal(rest.length, 0);
  assert.equal(img.id, sha(config));
  assert.deepEqual(img.refs.map(familiarString), ['busybox:latest', 'me/app:1']);
  assert.deepEqual(img.layers.map((l) => l.file), ['l1/layer.tar', 'l2/layer.tar']);
  assert.equal(img.layers[0].size, layer1.length);
});

test('docker 25+ save: blob paths are checked against their digests', async () => {
  const good = {
    'manifest.json': JSON.stringify([{ Config: blob(sha(config)), RepoTags: null, Layers: [blob(sha(layer1)), blob(sha(layer2))] }]),
    [blob(sha(config))]: config,
    [blob(sha(layer1))]: layer1,
    [blob(sha(layer2))]: layer2,
    'index.json': '{}',
  };
  const [img] = await planLoad(archive(good), platform);
  assert.deepEqual(img.refs, []);
  await assert.rejects(planLoad(archive({ ...good, [blob(sha(layer2))]: 'tampered' }), platform), /does not match its digest/);
});

test('docker save errors: missing files, bad JSON, count mismatch, bad tags', async () => {
  const base = { 'abc.json': config, 'l1/layer.tar': layer1, 'l2/layer.tar': layer2 };
  const cases: [Record<string, string | Buffer>, RegExp][] = [
    [{ ...base, 'manifest.json': '{not json' }, /manifest manifest.json is not valid JSON/],
    [{ ...base, 'manifest.json': '{}' }, /must be a JSON array/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Layers: [] }]) }, /has no Config/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Config: 'nope.json', Layers: [] }]) }, /config nope.json is missing/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Config: 'abc.json', Layers: ['l1/layer.tar'] }]) }, /layers length mismatch: expected 2, got 1/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Config: 'abc.json', Layers: ['l1/layer.tar', 'zz/layer.tar'] }]) }, /layer zz\/layer.tar is missing/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Config: 'abc.json', RepoTags: ['Bad:tag'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]) }, /must be lowercase/],
    [{ ...base, 'manifest.json': JSON.stringify([{ Config: 'abc.json', Layers: ['l1/layer.tar', 'l2/layer.tar'] }]), 'abc.json': '{"rootfs":{}}' }, /rootfs must be/],
    [{ ...base }, /no manifest.json or index.json/],
  ];
  for (const [files, re] of cases) {
    await assert.rejects(planLoad(archive(files), platform), (err: unknown) => err instanceof InvalidParameterError && re.test(err.message), String(re));
  }
});

test('OCI image layout: index → (nested index →) manifest → config and layers, names from annotations', async () => {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: sha(config), size: config.length },
    layers: [
      { mediaType: MT.ociLayer, digest: sha(layer1), size: layer1.length },
      { mediaType: MT.ociLayerGzip, digest: sha(layer2), size: layer2.length },
    ],
  });
  const other = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { digest: `sha256:${'0'.repeat(64)}` }, layers: [] });
  const list = JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      { mediaType: MT.ociManifest, digest: sha(other), size: other.length, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: MT.ociManifest, digest: sha(manifest), size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  });
  const files = archive({
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: MT.ociManifest, digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:1.36', 'org.opencontainers.image.ref.name': '1.36' } },
        { mediaType: MT.ociIndex, digest: sha(list), size: list.length, annotations: { 'org.opencontainers.image.ref.name': 'example.com/app:v2' } },
        { mediaType: MT.ociManifest, digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
      ],
    }),
    [blob(sha(manifest))]: manifest,
    [blob(sha(list))]: list,
    [blob(sha(other))]: other,
    [blob(sha(config))]: config,
    [blob(sha(layer1))]: layer1,
    [blob(sha(layer2))]: layer2,
  });
  const imgs = await planLoad(files, platform);
  assert.equal(imgs.length, 1, 'the same config is one image');
  assert.deepEqual(imgs[0].refs.map(familiarString), ['busybox:1.36', 'example.com/app:v2']);
  assert.equal(imgs[0].layers.length, 2);
});

test('OCI layout errors: missing blob, size mismatch, zstd, no platform match', async () => {
  const mk = (layers: unknown[], extra: Record<string, string | Buffer> = {}): ArchiveFiles => {
    const manifest = JSON.stringify({ mediaType: MT.ociManifest, config: { digest: sha(config), size: config.length }, layers });
    return archive({
      'index.json': JSON.stringify({ manifests: [{ mediaType: MT.ociManifest, digest: sha(manifest), size: manifest.length }] }),
      [blob(sha(manifest))]: manifest,
      [blob(sha(config))]: config,
      ...extra,
    });
  };
  const l1 = { mediaType: MT.ociLayer, digest: sha(layer1), size: layer1.length };
  const l2 = { mediaType: MT.ociLayer, digest: sha(layer2), size: layer2.length };
  await assert.rejects(planLoad(mk([l1, l2], { [blob(sha(layer1))]: layer1 }), platform), /layer blob sha256:\w+ is missing/);
  await assert.rejects(planLoad(mk([l1, { ...l2, size: 1 }], { [blob(sha(layer1))]: layer1, [blob(sha(layer2))]: layer2 }), platform), /has size/);
  await assert.rejects(
    planLoad(mk([l1, { ...l2, mediaType: MT.ociLayerZstd }], { [blob(sha(layer1))]: layer1, [blob(sha(layer2))]: layer2 }), platform),
    /zstd/,
  );
  const list = JSON.stringify({ mediaType: MT.ociIndex, manifests: [{ digest: sha('x'), platform: { os: 'linux', architecture: 's390x' } }] });
  const files = archive({ 'index.json': JSON.stringify({ manifests: [{ mediaType: MT.ociIndex, digest: sha(list) }] }), [blob(sha(list))]: list });
  await assert.rejects(planLoad(files, platform), /no matching manifest for linux\/amd64/);
});
