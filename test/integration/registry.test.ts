/**
 * Pull and push against a real registry (Debian's docker-registry on 127.0.0.1) with a
 * real berthd, driven by the real docker CLI and by berth's: the build-share-run loop,
 * digests kept across pull and push, mounts, a multi-platform index, faults (corrupt
 * blob, cut connection, malformed manifest, unsupported layers, registry down) leaving
 * the store as it was, concurrent pulls downloading each blob once, a mirror for
 * docker.io, and berth's progress bars on a terminal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { berthBin, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';
import { RawRegistry, freePort, rawRequest, registrySkipReason, sha256, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../helpers/registry.js';
import { tarBuffer } from '../../src/tools/make-busybox-image.js';

const skip = registrySkipReason();
const MT = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
};

function lines(body: string): any[] {
  return body
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Files under the image store that a failed pull must not leave behind. */
async function storeFiles(d: TestDaemon): Promise<string[]> {
  const root = path.join(d.dataRoot, 'image');
  const out: string[] = [];
  for (const sub of ['blobs/sha256', 'layers', 'ingest', 'images']) {
    for (const n of await fsp.readdir(path.join(root, sub)).catch(() => [] as string[])) out.push(`${sub}/${n}`);
  }
  return out.sort();
}

/** A random image of `n` gzip layers pushed with raw requests; returns its manifest digest and layer digests. */
async function pushRandomImage(raw: RawRegistry, repo: string, tag: string, n: number, size: number, arch = 'amd64'): Promise<{ digest: string; layers: string[]; config: string }> {
  const diffIds: string[] = [];
  const layers: { digest: string; size: number }[] = [];
  for (let i = 0; i < n; i++) {
    const t = await tarBuffer([{ name: `data-${i}.bin`, type: 'file', mode: 0o644, body: randomBytes(size) }]);
    diffIds.push(sha256(t));
    const gz = gzipSync(t, { level: 1 });
    layers.push({ digest: await raw.putBlob(repo, gz), size: gz.length });
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: arch, os: 'linux', created: '2024-03-03T00:00:00Z', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'test' })) }),
  );
  const configDigest = await raw.putBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.manifest,
      config: { mediaType: MT.config, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: MT.layer, digest: l.digest, size: l.size })),
    }),
  );
  const digest = await raw.putManifest(repo, tag, MT.manifest, manifest);
  return { digest, layers: layers.map((l) => l.digest), config: configDigest };
}

describe('registry: pull and push with the docker CLI and berth', { skip }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let raw: RawRegistry;
  let cfgDir: string;
  const env = (): Record<string, string> => ({ DOCKER_HOST: d.host, DOCKER_CONFIG: cfgDir });
  const docker = (args: string[], input?: string) => run('docker', args, { env: env(), input, timeoutMs: 120_000 });
  const berth = (args: string[]) => run(berthBin, args, { env: env(), timeoutMs: 120_000 });

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.port);
    raw = new RawRegistry(reg.url);
    cfgDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-registry-cfg-'));
    d = await startTestDaemon('registry');
    await loadBusybox(d);
  });

  after(async () => {
    await d?.cleanup();
    await proxy?.stop();
    await reg?.stop();
    if (cfgDir) await fsp.rm(cfgDir, { recursive: true, force: true });
  });

  test('docker tag + push, rmi, then docker run pulls and runs it', async () => {
    const name = `${reg.host}/bb`;
    assert.equal((await docker(['tag', 'busybox', name])).code, 0);
    const push = await docker(['push', name]);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, new RegExp(`The push refers to repository \\[${reg.host}/bb\\]`));
    assert.match(push.stdout, /: Pushed/);
    const digest = /latest: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    assert.equal((await docker(['rmi', name, 'busybox'])).code, 0);
    assert.equal((await docker(['images', '-q'])).stdout, '');
    const r = await docker(['run', '--rm', name, 'echo', 'ok']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok\n');
    assert.match(r.stderr, new RegExp(`Unable to find image '${reg.host}/bb:latest' locally`));
    assert.match(r.stderr, /Pull complete/);
    assert.match(r.stderr, new RegExp(`Status: Downloaded newer image for ${reg.host}/bb:latest`));
    const digests = await docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
    assert.equal(digests.stdout, `${name} latest ${digest}\n`);
    const inspect = JSON.parse((await docker(['image', 'inspect', name])).stdout)[0];
    assert.deepEqual(inspect.RepoDigests, [`${name}@${digest}`]);
    // Pulling again: nothing to download.
    const again = await docker(['pull', name]);
    assert.match(again.stdout, /Already exists/);
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${reg.host}/bb:latest`));
    // Pushing the pulled image keeps its digest; the layer is already there.
    const repush = await docker(['push', name]);
    assert.match(repush.stdout, /Layer already exists/);
    assert.ok(repush.stdout.includes(`latest: digest: ${digest} `), repush.stdout);
    // Another repository of the same registry: mounted, not uploaded; same manifest.
    assert.equal((await docker(['tag', name, `${reg.host}/copy:v1`])).code, 0);
    const mount = await docker(['push', `${reg.host}/copy:v1`]);
    assert.equal(mount.code, 0, mount.stderr);
    assert.match(mount.stdout, /Mounted from bb/);
    assert.ok(mount.stdout.includes(`v1: digest: ${digest} `), mount.stdout);
  });

  test('a pulled image whose base layer was already here keeps its digest when pushed elsewhere', async () => {
    const bb = JSON.parse((await rawRequest('GET', `${reg.url}/v2/bb/manifests/latest`, undefined, { Accept: MT.manifest })).body.toString());
    const baseBlob = (await rawRequest('GET', `${reg.url}/v2/bb/blobs/${bb.layers[0].digest}`)).body;
    const baseDiffId = JSON.parse((await rawRequest('GET', `${reg.url}/v2/bb/blobs/${bb.config.digest}`)).body.toString()).rootfs.diff_ids[0];
    await raw.putBlob('derived', baseBlob);
    const own = await tarBuffer([{ name: 'own.txt', type: 'file', mode: 0o644, body: 'mine\n' }]);
    const ownGz = gzipSync(own);
    await raw.putBlob('derived', ownGz);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/own.txt'] }, rootfs: { type: 'layers', diff_ids: [baseDiffId, sha256(own)] } }));
    await raw.putBlob('derived', config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.manifest,
        config: { mediaType: MT.config, digest: sha256(config), size: config.length },
        layers: [bb.layers[0], { mediaType: MT.layer, digest: sha256(ownGz), size: ownGz.length }],
      }),
    );
    const digest = await raw.putManifest('derived', 'latest', MT.manifest, manifest);
    const pull = await docker(['pull', `${reg.host}/derived`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /Already exists/);
    assert.equal((await docker(['run', '--rm', `${reg.host}/derived`])).stdout, 'mine\n');
    assert.equal((await docker(['tag', `${reg.host}/derived`, `${reg.host}/derived-copy`])).code, 0);
    const push = await docker(['push', `${reg.host}/derived-copy`]);
    assert.equal(push.code, 0, push.stderr);
    assert.ok(push.stdout.includes(`latest: digest: ${digest} `), push.stdout);
    assert.match(push.stdout, /Mounted from (bb|derived|copy)/);
  });

  test('push answers with the aux digest; rmi and DELETE of repo@digest untag', async () => {
    const name = `${reg.host}/bb`;
    const r = await d.api('POST', `/images/${reg.host}/bb/push?tag=latest`, undefined, { 'X-Registry-Auth': 'e30=' });
    assert.equal(r.status, 200);
    const msgs = lines(r.body);
    const aux = msgs.find((m) => m.aux)?.aux;
    assert.ok(aux && aux.Tag === 'latest' && /^sha256:/.test(aux.Digest) && aux.Size > 0, r.body);
    const byDigest = `${name}@${aux.Digest}`;
    assert.equal((await docker(['image', 'inspect', byDigest])).code, 0);
    let del = await d.api('DELETE', `/images/${encodeURIComponent(byDigest)}`);
    assert.equal(del.status, 200, del.body);
    assert.deepEqual(del.json, [{ Untagged: byDigest }]);
    // The tag still holds the image.
    assert.equal((await docker(['image', 'inspect', name])).code, 0);
    const pull = await docker(['pull', byDigest]);
    assert.equal(pull.code, 0, pull.stderr);
    const rmi = await docker(['rmi', byDigest]);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.equal(rmi.stdout, `Untagged: ${byDigest}\n`);
    del = await d.api('DELETE', `/images/${encodeURIComponent(byDigest)}`);
    assert.equal(del.status, 404);
  });

  test('pull errors: unknown tag or repository, registry down, bad references', async () => {
    let r = await docker(['pull', `${reg.host}/bb:nope`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`manifest for ${reg.host}/bb:nope not found: manifest unknown: manifest unknown`));
    r = await docker(['pull', `${reg.host}/nothing-here`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not found/);
    const dead = await freePort();
    r = await docker(['pull', `127.0.0.1:${dead}/x`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`Get "https://127.0.0.1:${dead}/v2/": dial tcp 127.0.0.1:${dead}: connect: connection refused`));
    const api = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/bb`)}&tag=latest&platform=linux/amd64/v1/x`);
    assert.equal(api.status, 400);
  });

  test('a multi-platform index: linux/amd64 is picked, --platform picks another, none matching fails cleanly', async () => {
    const amd = await pushRandomImage(raw, 'multi', 'amd-only', 1, 1000, 'amd64');
    const arm = await pushRandomImage(raw, 'multi', 'arm-only', 1, 1000, 'arm64');
    const entry = async (ref: string, platform: Record<string, string>): Promise<Record<string, unknown>> => {
      const m = await rawRequest('GET', `${reg.url}/v2/multi/manifests/${ref}`, undefined, { Accept: MT.manifest });
      return { mediaType: MT.manifest, digest: sha256(m.body), size: m.body.length, platform };
    };
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.ociIndex,
        manifests: [
          await entry(arm.digest, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
          { ...(await entry(amd.digest, { os: 'unknown', architecture: 'unknown' })) },
          await entry(amd.digest, { os: 'linux', architecture: 'amd64' }),
        ],
      }),
    );
    const indexDigest = await raw.putManifest('multi', 'latest', MT.ociIndex, index);
    const armOnly = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [await entry(arm.digest, { os: 'linux', architecture: 'arm64' })] }));
    await raw.putManifest('multi', 'armonly', MT.ociIndex, armOnly);

    const pull = await berth(['pull', `${reg.host}/multi`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${indexDigest}`));
    const img = (await d.api('GET', `/images/${reg.host}/multi/json`)).json;
    assert.equal(img.Architecture, 'amd64');
    assert.equal(img.Id, amd.config);
    assert.deepEqual(img.RepoDigests, [`${reg.host}/multi@${indexDigest}`]);

    const other = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/multi`)}&tag=latest&platform=linux/arm64`);
    assert.equal(other.status, 200, other.body);
    assert.ok(!other.body.includes('error'), other.body);
    assert.equal((await d.api('GET', `/images/${reg.host}/multi/json`)).json.Architecture, 'arm64');

    const before = await storeFiles(d);
    const none = await docker(['pull', `${reg.host}/multi:armonly`]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no matching manifest for linux\/amd64 in the manifest list entries/);
    // A single-platform image of another architecture is refused too.
    const single = await docker(['pull', `${reg.host}/multi:arm-only`]);
    assert.notEqual(single.code, 0);
    assert.match(single.stderr, /does not match the specified platform: wanted linux\/amd64, actual: linux\/arm64/);
    assert.deepEqual(await storeFiles(d), before);
  });

  test('faults: corrupt blob, cut connection, malformed manifest, unsupported layer type leave nothing behind', async () => {
    const img = await pushRandomImage(raw, 'faulty', 'latest', 2, 300_000);
    const name = `${proxy.host}/faulty`;
    const before = await storeFiles(d);
    const imagesBefore = (await d.api('GET', '/images/json')).json.length;

    proxy.setFault('corrupt', (m, p) => m === 'GET' && p.includes(`/blobs/${img.layers[1]}`));
    let r = await docker(['pull', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${img.layers[1]}`));
    assert.deepEqual(await storeFiles(d), before);

    proxy.setFault('cut');
    const t0 = Date.now();
    r = await docker(['pull', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`failed to download layer ${img.layers[1]} from ${proxy.host}/faulty after 5 attempts: unexpected EOF`), r.stderr);
    assert.ok(Date.now() - t0 < 30_000);
    assert.deepEqual(await storeFiles(d), before);
    assert.equal((await d.api('GET', '/images/json')).json.length, imagesBefore);

    // Cut once: the download resumes with a Range request and the pull succeeds.
    proxy.setFault('cut-once');
    proxy.seen.length = 0;
    r = await berth(['pull', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.seen.filter((s) => s.includes(`/blobs/${img.layers[1]}`)).length, 2);
    assert.equal((await berth(['rmi', name])).code, 0);
    assert.deepEqual(await storeFiles(d), before);

    // A malformed manifest.
    proxy.replacement = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.manifest, config: {}, layers: [] }));
    proxy.setFault('replace', (m, p) => m === 'GET' && p.includes('/manifests/'));
    r = await docker(['pull', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid manifest: config has an invalid digest/);
    proxy.replacement = Buffer.from('this is not json');
    r = await docker(['pull', name]);
    assert.match(r.stderr, /invalid manifest: not valid JSON/);
    proxy.setFault('none');

    // A layer type berth cannot unpack.
    const zlayer = await raw.putBlob('zstd', randomBytes(100));
    const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('x')] } }));
    const cfgDigest = await raw.putBlob('zstd', cfg);
    await raw.putManifest(
      'zstd',
      'latest',
      MT.ociManifest,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfgDigest, size: cfg.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: zlayer, size: 100 }],
        }),
      ),
    );
    r = await docker(['pull', `${reg.host}/zstd`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unsupported media type application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd/);
    assert.deepEqual(await storeFiles(d), before);
  });

  test('concurrent pulls of one image download each blob once', async () => {
    const img = await pushRandomImage(raw, 'shared', 'latest', 3, 2_000_000);
    proxy.setFault('none');
    proxy.seen.length = 0;
    const name = encodeURIComponent(`${proxy.host}/shared`);
    const pulls = await Promise.all([1, 2, 3].map(() => d.api('POST', `/images/create?fromImage=${name}&tag=latest`)));
    for (const p of pulls) {
      assert.equal(p.status, 200);
      assert.ok(!p.body.includes('errorDetail'), p.body);
      assert.match(p.body, /Status: (Downloaded newer image|Image is up to date) for/);
    }
    for (const l of img.layers) assert.equal(proxy.seen.filter((s) => s.startsWith('GET') && s.includes(`/blobs/${l}`)).length, 1, l);
    const list = (await d.api('GET', '/images/json')).json as { RepoTags: string[] }[];
    assert.equal(list.filter((i) => i.RepoTags.includes(`${proxy.host}/shared:latest`)).length, 1);
  });

  test('berth pull draws per-layer progress bars on a terminal, plain lines otherwise', async () => {
    await pushRandomImage(raw, 'bars', 'latest', 2, 1_500_000);
    const name = `${reg.host}/bars`;
    const cmd = `stty cols 150 rows 40; ${berthBin} pull ${name}`;
    const tty = await run('script', ['-qfc', cmd, '/dev/null'], { env: env(), timeoutMs: 120_000 });
    assert.equal(tty.code, 0, tty.stdout + tty.stderr);
    const out = tty.stdout;
    assert.ok(out.includes('\x1b[1A') && out.includes('\x1b[2K'), JSON.stringify(out.slice(0, 500)));
    assert.match(out, /: Downloading \[=*>\s*\] +[\d.]+[kM]?B\/[\d.]+MB/);
    assert.match(out, /: Extracting \[/);
    assert.match(out, /: Pull complete/);
    assert.match(out, new RegExp(`${reg.host}/bars:latest`));
    await berth(['rmi', name]);
    const plain = await berth(['pull', name]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!plain.stdout.includes('\x1b['));
    assert.ok(!plain.stdout.includes('Downloading'));
    assert.match(plain.stdout, /^Using default tag: latest\nlatest: Pulling from bars\n[a-f0-9]{12}: Pulling fs layer\n/);
    const quiet = await berth(['pull', '-q', name]);
    assert.equal(quiet.stdout, `${name}:latest\n`);
  });

  test('berth push, -a, run --pull always|never, image prune -a with filters', async () => {
    assert.equal((await berth(['tag', `${reg.host}/bb`, `${reg.host}/tags:one`])).code, 0);
    assert.equal((await berth(['tag', `${reg.host}/bb`, `${reg.host}/tags:two`])).code, 0);
    const all = await berth(['push', '-a', `${reg.host}/tags`]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /one: digest: sha256:/);
    assert.match(all.stdout, /two: digest: sha256:/);
    const q = await berth(['push', '-q', `${reg.host}/tags:one`]);
    assert.equal(q.stdout, `${reg.host}/tags:one\n`);
    assert.equal((await berth(['rmi', `${reg.host}/tags:one`, `${reg.host}/tags:two`])).code, 0);
    const pullAll = await berth(['pull', '-a', `${reg.host}/tags`]);
    assert.equal(pullAll.code, 0, pullAll.stderr);
    assert.match(pullAll.stdout, new RegExp(`Status: Downloaded newer image for ${reg.host}/tags\n`));
    const tags = (await d.api('GET', '/images/json')).json.flatMap((i: { RepoTags: string[] }) => i.RepoTags);
    assert.ok(tags.includes(`${reg.host}/tags:one`) && tags.includes(`${reg.host}/tags:two`), tags);

    const never = await berth(['run', '--rm', '--pull', 'never', `${reg.host}/not-here`, 'true']);
    assert.equal(never.code, 125);
    assert.match(never.stderr, /No such image/);
    const always = await berth(['run', '--rm', '--pull', 'always', `${reg.host}/tags:one`, 'echo', 'hi']);
    assert.equal(always.code, 0, always.stderr);
    assert.equal(always.stdout, 'hi\n');
    assert.match(always.stderr, /Image is up to date/);

    const prune = await docker(['image', 'prune', '-a', '-f', '--filter', 'until=1h']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /Total reclaimed space/);
    const after = await d.api('POST', '/images/prune?filters=' + encodeURIComponent(JSON.stringify({ dangling: ['false'] })));
    assert.equal(after.status, 200);
    assert.equal((await d.api('GET', '/images/json')).json.length, 0);
    // Everything that was pulled went with the images: blobs, layers, records.
    assert.deepEqual((await storeFiles(d)).filter((f) => !f.startsWith('ingest')), []);
  });
});

describe('registry: a mirror serves docker.io', { skip }, () => {
  let d: TestDaemon;
  let mirror: TestRegistry;

  before(async () => {
    mirror = await startRegistry('mirror');
    const seed = await startTestDaemon('registry-mirror-seed');
    try {
      await loadBusybox(seed);
      const tag = await seed.api('POST', `/images/busybox/tag?repo=${mirror.host}/library/busybox&tag=latest`);
      assert.equal(tag.status, 201);
      const push = await seed.api('POST', `/images/${mirror.host}/library/busybox/push?tag=latest`);
      assert.ok(!push.body.includes('errorDetail'), push.body);
    } finally {
      await seed.cleanup();
    }
    d = await startTestDaemon('registry-mirror', ['--registry-mirror', `http://${mirror.host}`]);
  });

  after(async () => {
    await d?.cleanup();
    await mirror?.stop();
  });

  test('docker pull busybox comes from the mirror; what the mirror lacks falls back and fails clearly', async () => {
    const r = await run('docker', ['pull', 'busybox'], { env: { DOCKER_HOST: d.host } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Status: Downloaded newer image for busybox:latest/);
    assert.match(r.stdout, /docker\.io\/library\/busybox:latest/);
    const ok = await run('docker', ['run', '--rm', 'busybox', 'echo', 'mirrored'], { env: { DOCKER_HOST: d.host } });
    assert.equal(ok.stdout, 'mirrored\n');
    // Not on the mirror: the official endpoint is tried next (a closed port in tests).
    const miss = await run('docker', ['pull', 'alpine'], { env: { DOCKER_HOST: d.host } });
    assert.notEqual(miss.code, 0);
    assert.match(miss.stderr, /127\.0\.0\.1:9/);
  });
});
