import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  MEDIA,
  ManifestError,
  buildImageManifest,
  normalizePlatform,
  parseManifest,
  parsePlatform,
  platformMatches,
  platformString,
  selectPlatform,
  type Descriptor,
} from '../../src/drivers/registry/manifest.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

test('parses Docker schema2 and OCI image manifests', () => {
  const m = parseManifest(
    json({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { mediaType: MEDIA.dockerConfig, digest: d('a'), size: 10 }, layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: d('b'), size: 20 }] }),
    'application/json',
  );
  assert.equal(m.kind, 'image');
  if (m.kind === 'image') {
    assert.equal(m.mediaType, MEDIA.dockerManifest);
    assert.equal(m.config.digest, d('a'));
    assert.equal(m.layers[0].size, 20);
  }
  // No mediaType in the body: the Content-Type says it; without either, the shape does.
  const oci = parseManifest(json({ schemaVersion: 2, config: { mediaType: MEDIA.ociConfig, digest: d('a'), size: 1 }, layers: [] }), MEDIA.ociManifest);
  assert.equal(oci.mediaType, MEDIA.ociManifest);
  const shaped = parseManifest(json({ schemaVersion: 2, manifests: [] }), undefined);
  assert.equal(shaped.kind, 'index');
});

test('parses manifest lists and OCI indexes', () => {
  const idx = parseManifest(
    json({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: MEDIA.ociManifest, digest: d('c'), size: 5, platform: { os: 'linux', architecture: 'arm64' } }],
    }),
    MEDIA.ociIndex,
  );
  assert.equal(idx.kind, 'index');
  if (idx.kind === 'index') assert.equal(idx.manifests[0].platform?.architecture, 'arm64');
});

test('refuses malformed, schema1 and unknown manifests with clear messages', () => {
  assert.throws(() => parseManifest(Buffer.from('{nope'), undefined), (e: Error) => e instanceof ManifestError && /not valid JSON/.test(e.message));
  assert.throws(() => parseManifest(json({ schemaVersion: 1, name: 'x' }), MEDIA.dockerSchema1Signed), /schema 1 is not supported/);
  assert.throws(() => parseManifest(json({ schemaVersion: 2, mediaType: 'application/x-weird' }), undefined), /unsupported manifest media type application\/x-weird/);
  assert.throws(
    () => parseManifest(json({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: 'sha256:zz', size: 1 }, layers: [] }), undefined),
    /config has an invalid digest/,
  );
  assert.throws(() => parseManifest(json({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: d('a'), size: -1 }, layers: [] }), undefined), /invalid size/);
});

test('platforms: parsing and normalization', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64', variant: undefined });
  assert.equal(platformString(parsePlatform('linux/arm/v7')), 'linux/arm/v7');
  assert.equal(platformString(parsePlatform('linux/arm')), 'linux/arm/v7');
  assert.equal(platformString(parsePlatform('linux/aarch64')), 'linux/arm64');
  assert.equal(platformString(parsePlatform('arm64')), 'linux/arm64');
  assert.equal(platformString(normalizePlatform({ os: 'linux', architecture: 'x86_64' })), 'linux/amd64');
  assert.throws(() => parsePlatform('linux/amd64/v1/x'), /unknown operating system or architecture/);
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches({ os: 'windows', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' }));
});

test('selects the host platform from an index, skipping attestations', () => {
  const m = (c: string, platform: Descriptor['platform']): Descriptor => ({ mediaType: MEDIA.ociManifest, digest: d(c), size: 1, platform });
  const list = [
    m('1', { os: 'unknown', architecture: 'unknown' }),
    m('2', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    m('3', { os: 'linux', architecture: 'arm', variant: 'v6' }),
    m('4', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    m('5', { os: 'linux', architecture: 'amd64' }),
    m('6', { os: 'windows', architecture: 'amd64' }),
  ];
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'amd64' })?.digest, d('5'));
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm64' })?.digest, d('2'));
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d('4'));
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 's390x' }), undefined);
  assert.equal(selectPlatform([m('7', undefined)], { os: 'linux', architecture: 'amd64' }), undefined);
});

test('builds a schema2 manifest for local images', () => {
  const bytes = buildImageManifest({ mediaType: MEDIA.dockerConfig, digest: d('a'), size: 3 }, [{ mediaType: MEDIA.dockerLayerGzip, digest: d('b'), size: 4 }]);
  const p = parseManifest(bytes, undefined);
  assert.equal(p.mediaType, MEDIA.dockerManifest);
  assert.ok(p.kind === 'image' && p.layers[0].digest === d('b'));
});
