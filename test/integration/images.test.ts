import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { repoRoot, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar, demux } from '../helpers/busybox.js';
import { tarBuffer, type TarEntry } from '../../src/tools/make-busybox-image.js';
import { ImageService } from '../../src/engine/images/image-service.js';
import { EventBus, type EngineEvent } from '../../src/engine/events.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const TAR = { 'Content-Type': 'application/x-tar' };

let d: TestDaemon;
let busyboxId = '';

function lines(body: string): any[] {
  return body
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

async function readTar(buf: Buffer): Promise<Map<string, { header: tar.Header; body: Buffer }>> {
  const ex = tar.extract();
  const out = new Map<string, { header: tar.Header; body: Buffer }>();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.set(header.name.replace(/\/$/, ''), { header, body: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', (e) => reject(e));
  });
  ex.end(buf);
  await done;
  return out;
}

/** An OCI image layout tar of one image whose layers are given as (maybe gzipped) tars. */
async function ociLayout(name: string | undefined, layers: { tar: Buffer; gzip?: boolean }[], cmd: string[]): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const descs = layers.map((l) => {
    const data = l.gzip ? gzipSync(l.tar) : l.tar;
    blobs.set(sha(data), data);
    return { mediaType: `application/vnd.oci.image.layer.v1.tar${l.gzip ? '+gzip' : ''}`, digest: sha(data), size: data.length };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-02-02T00:00:00Z',
      config: { Cmd: cmd, Labels: { origin: 'oci-test' } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l.tar)) },
      history: layers.map((_, i) => ({ created: '2024-02-02T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  blobs.set(sha(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: descs,
    }),
  );
  blobs.set(sha(manifest), manifest);
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha(manifest),
        size: manifest.length,
        ...(name ? { annotations: { 'io.containerd.image.name': name } } : {}),
      },
    ],
  };
  const entries: TarEntry[] = [
    { name: 'oci-layout', type: 'file', mode: 0o644, body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', type: 'file', mode: 0o644, body: JSON.stringify(index) },
  ];
  for (const [dg, b] of blobs) entries.push({ name: `blobs/sha256/${dg.slice(7)}`, type: 'file', mode: 0o644, body: b });
  return tarBuffer(entries);
}

async function imageCount(): Promise<number> {
  return (await d.api('GET', '/images/json?all=1')).json.length;
}

async function storeState(): Promise<string> {
  const root = path.join(d.dataRoot, 'image');
  const ls = async (p: string): Promise<string[]> => (await fsp.readdir(path.join(root, p)).catch(() => [] as string[])).sort();
  return JSON.stringify({ layers: await ls('layers'), blobs: await ls('blobs/sha256'), links: await ls('l'), images: await ls('images') });
}

function mount(args: string[]): void {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr}`);
}

describe('images API against a real berthd', () => {
  before(async () => {
    d = await startTestDaemon('images');
  });
  after(async () => {
    await d.cleanup();
  });

  test('load a docker-save tarball with progress, then by quiet load nothing changes', async () => {
    const r = await d.api('POST', '/images/load', busyboxTar(), TAR);
    assert.equal(r.status, 200, r.body);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const msgs = lines(r.body);
    const progress = msgs.filter((m) => m.status === 'Loading layer');
    assert.ok(progress.length >= 1, r.body.slice(0, 500));
    const lastP = progress[progress.length - 1];
    assert.equal(lastP.progressDetail.current, lastP.progressDetail.total);
    assert.match(lastP.progress, /^\[=+>\s*\] +[\d.]+[kM]?B\/[\d.]+[kM]?B$/);
    assert.match(lastP.id, /^[0-9a-f]{12}$/);
    assert.deepEqual(msgs[msgs.length - 1], { stream: 'Loaded image: busybox:latest\n' });

    const manifest = JSON.parse((await readTar(busyboxTar())).get('manifest.json')!.body.toString());
    busyboxId = `sha256:${path.basename(manifest[0].Config)}`;
    const insp = await d.api('GET', '/images/busybox/json');
    assert.equal(insp.json.Id, busyboxId, 'image ID is the digest of the config in the archive');

    const again = await d.api('POST', '/images/load?quiet=1', busyboxTar(), TAR);
    assert.equal(again.status, 200);
    assert.deepEqual(lines(again.body), [{ stream: 'Loaded image: busybox:latest\n' }], 'quiet: no progress, existing layers skipped');
    const gz = await d.api('POST', '/images/load?quiet=1', gzipSync(busyboxTar()), TAR);
    assert.deepEqual(lines(gz.body), [{ stream: 'Loaded image: busybox:latest\n' }], 'a gzipped archive loads too');
    assert.equal(await imageCount(), 1);
  });

  test('inspect resolves every kind of reference and has Docker’s shape', async () => {
    const hex = busyboxId.slice(7);
    for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox', 'library/busybox:latest', busyboxId, hex, hex.slice(0, 12), hex.slice(0, 3), `sha256:${hex.slice(0, 8)}`]) {
      const r = await d.api('GET', `/images/${encodeURIComponent(ref)}/json`);
      assert.equal(r.status, 200, `${ref}: ${r.body}`);
      assert.equal(r.json.Id, busyboxId, ref);
    }
    const i = (await d.api('GET', '/images/busybox/json')).json;
    assert.deepEqual(i.RepoTags, ['busybox:latest']);
    assert.deepEqual(i.RepoDigests, []);
    assert.equal(i.Os, 'linux');
    assert.deepEqual(i.Config.Cmd, ['sh']);
    assert.deepEqual(i.Config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(i.RootFS.Type, 'layers');
    assert.equal(i.RootFS.Layers.length, 1);
    assert.equal(i.GraphDriver.Name, 'overlay2');
    assert.ok(i.GraphDriver.Data.UpperDir.startsWith(d.dataRoot));
    assert.ok(i.Size > 1_000_000);
    assert.match(i.Created, /^2024-01-01T00:00:00/);
    assert.match(i.Metadata.LastTagTime, /^\d{4}-/);
    for (const k of ['Parent', 'Comment', 'DockerVersion', 'Author', 'Architecture']) assert.equal(typeof i[k], 'string', k);
    const layerDir = i.GraphDriver.Data.UpperDir;
    const st = await fsp.stat(path.join(layerDir, 'tmp'));
    assert.equal(st.mode & 0o7777, 0o1777, '/tmp keeps its sticky mode');
    const bb = await fsp.stat(path.join(layerDir, 'bin/busybox'));
    const sh = await fsp.stat(path.join(layerDir, 'bin/sh'));
    assert.equal(bb.ino, sh.ino, 'applets are hard links');
    assert.match(await fsp.readFile(path.join(layerDir, 'etc/passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
  });

  test('unknown images are 404, invalid references 400', async () => {
    let r = await d.api('GET', '/images/nosuch/json');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'No such image: nosuch:latest');
    r = await d.api('GET', `/images/sha256:${'0'.repeat(64)}/json`);
    assert.equal(r.status, 404);
    r = await d.api('GET', '/images/Busybox/json');
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'invalid reference format: repository name (library/Busybox) must be lowercase');
    r = await d.api('DELETE', '/images/nosuch');
    assert.equal(r.status, 404);
    r = await d.api('POST', '/images/busybox/tag?repo=Bad&tag=x');
    assert.equal(r.status, 400);
    r = await d.api('POST', '/images/busybox/tag?repo=ok&tag=bad%20tag');
    assert.equal(r.status, 400);
    // A pull reaches for docker.io, which the test daemon points at a closed port.
    r = await d.api('POST', '/images/create?fromImage=alpine&tag=3');
    assert.ok(r.status >= 400, r.body);
    assert.equal(r.json.message, 'Get "http://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9: connect: connection refused');
  });

  test('history: newest first, top entry has the ID and tags, the rest <missing>', async () => {
    const r = await d.api('GET', '/images/busybox/history');
    assert.equal(r.status, 200);
    assert.equal(r.json.length, 2);
    assert.equal(r.json[0].Id, busyboxId);
    assert.deepEqual(r.json[0].Tags, ['busybox:latest']);
    assert.equal(r.json[0].Size, 0);
    assert.match(r.json[0].CreatedBy, /CMD \["sh"\]/);
    assert.equal(r.json[1].Id, '<missing>');
    assert.ok(r.json[1].Size > 1_000_000);
    assert.equal(r.json[1].Created, 1704067200);
  });

  test('tag, list with filters, untag', async () => {
    let r = await d.api('POST', '/images/busybox/tag?repo=busybox&tag=old');
    assert.equal(r.status, 201, r.body);
    r = await d.api('POST', `/images/${busyboxId.slice(7, 19)}/tag?repo=localhost:5000/team/bb&tag=v1`);
    assert.equal(r.status, 201, r.body);
    r = await d.api('GET', '/images/json');
    assert.equal(r.status, 200);
    assert.equal(r.json.length, 1);
    const s = r.json[0];
    assert.deepEqual(s.RepoTags, ['busybox:latest', 'busybox:old', 'localhost:5000/team/bb:v1']);
    for (const k of ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Labels', 'Containers']) assert.ok(k in s, k);
    assert.equal(s.SharedSize, -1);
    assert.equal(s.Containers, -1);
    assert.equal(s.Created, 1704067200);

    const f = (filters: unknown): ReturnType<TestDaemon['api']> => d.api('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    r = await f({ reference: ['busy*'] });
    assert.deepEqual(r.json[0].RepoTags, ['busybox:latest', 'busybox:old'], 'reference filter also narrows RepoTags');
    r = await f({ reference: ['busybox:ol?'] });
    assert.deepEqual(r.json[0].RepoTags, ['busybox:old']);
    r = await f({ reference: ['nothing*'] });
    assert.deepEqual(r.json, []);
    r = await f({ dangling: ['true'] });
    assert.deepEqual(r.json, []);
    r = await f({ dangling: ['false'] });
    assert.equal(r.json.length, 1);
    r = await f({ label: ['nolabel'] });
    assert.deepEqual(r.json, []);
    r = await f({ before: ['busybox'] });
    assert.deepEqual(r.json, []);
    r = await f({ bogus: ['x'] });
    assert.equal(r.status, 400);
    r = await f({ dangling: ['maybe'] });
    assert.equal(r.status, 400);
    r = await f({ since: ['nosuch'] });
    assert.equal(r.status, 404);

    r = await d.api('DELETE', '/images/busybox:old');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, [{ Untagged: 'busybox:old' }]);
    r = await d.api('DELETE', '/images/localhost:5000/team/bb:v1');
    assert.deepEqual(r.json, [{ Untagged: 'localhost:5000/team/bb:v1' }]);
    assert.deepEqual((await d.api('GET', '/images/busybox/json')).json.RepoTags, ['busybox:latest']);
  });

  test('deleting by ID an image with several repository tags needs force', async () => {
    await d.api('POST', '/images/busybox/tag?repo=other&tag=1');
    const short = busyboxId.slice(7, 19);
    const r = await d.api('DELETE', `/images/${short}`);
    assert.equal(r.status, 409);
    assert.equal(r.json.message, `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    assert.deepEqual((await d.api('DELETE', '/images/other:1')).json, [{ Untagged: 'other:1' }]);
  });

  test('images used by containers: stopped needs force, running cannot be deleted', async (t) => {
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '300'] });
    if (c.status !== 201) {
      t.skip(`containers engine unavailable: ${c.status} ${c.body}`);
      return;
    }
    const cid: string = c.json.Id;
    const short = busyboxId.slice(7, 19);
    try {
      let r = await d.api('DELETE', '/images/busybox');
      assert.equal(r.status, 409);
      assert.equal(r.json.message, `conflict: unable to remove repository reference "busybox" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${short}`);
      r = await d.api('DELETE', `/images/${short}`);
      assert.equal(r.status, 409);
      assert.match(r.json.message, new RegExp(`^conflict: unable to delete ${short} \\(must be forced\\) - image is being used by stopped container ${cid.slice(0, 12)}$`));

      const s = await d.api('POST', `/containers/${cid}/start`);
      assert.equal(s.status, 204, s.body);
      r = await d.api('DELETE', `/images/${short}?force=1`);
      assert.equal(r.status, 409);
      assert.equal(r.json.message, `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${cid.slice(0, 12)}`);
      assert.equal((await d.api('GET', '/images/busybox/json')).status, 200, 'still there');
    } finally {
      await d.api('DELETE', `/containers/${cid}?force=1`);
    }
  });

  test('save → delete → load round-trip keeps the image ID; archive has docker 25+ layout', async () => {
    const hello = spawnSync('node', [path.join(repoRoot, 'dist/src/tools/make-hello-image.js')], { maxBuffer: 1 << 30 });
    assert.equal(hello.status, 0, hello.stderr?.toString());
    let r = await d.api('POST', '/images/load?quiet=1', hello.stdout, TAR);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(lines(r.body), [{ stream: 'Loaded image: berth/hello:latest\n' }]);
    const helloId: string = (await d.api('GET', '/images/berth/hello/json')).json.Id;

    const saved = await rawGet(`/images/get?names=berth/hello&names=busybox`);
    assert.equal(saved.status, 200);
    const files = await readTar(saved.body);
    for (const f of ['manifest.json', 'index.json', 'oci-layout', 'repositories']) assert.ok(files.has(f), f);
    const manifest = JSON.parse(files.get('manifest.json')!.body.toString());
    assert.deepEqual(manifest.map((m: any) => m.RepoTags).flat().sort(), ['berth/hello:latest', 'busybox:latest']);
    for (const m of manifest) {
      const cfg = files.get(m.Config)!.body;
      assert.equal(`sha256:${path.basename(m.Config)}`, sha(cfg));
      for (const l of m.Layers) assert.equal(sha(files.get(l)!.body), `sha256:${path.basename(l)}`, 'layer blobs are named by their digest');
    }
    const index = JSON.parse(files.get('index.json')!.body.toString());
    assert.ok(index.manifests.some((m: any) => m.annotations?.['io.containerd.image.name'] === 'docker.io/berth/hello:latest'));
    const repos = JSON.parse(files.get('repositories')!.body.toString());
    assert.ok(repos.busybox.latest);

    const single = await rawGet('/images/berth/hello/get');
    assert.equal(single.status, 200);
    assert.equal(JSON.parse((await readTar(single.body)).get('manifest.json')!.body.toString()).length, 1);

    r = await d.api('DELETE', '/images/berth/hello');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json[0].Untagged, 'berth/hello:latest');
    assert.equal(r.json[1].Deleted, helloId);
    assert.equal(r.json.length, 3, 'only the hello layer goes; the busybox layer is shared: ' + r.body);
    assert.equal((await d.api('GET', '/images/berth/hello/json')).status, 404);

    r = await d.api('POST', '/images/load', single.body, TAR);
    assert.equal(r.status, 200);
    assert.equal((await d.api('GET', '/images/berth/hello/json')).json.Id, helloId);
    assert.equal(busyboxId, (await d.api('GET', '/images/busybox/json')).json.Id);

    const missing = await d.api('GET', '/images/get?names=nosuch');
    assert.equal(missing.status, 404);
  });

  test('the hello image prints the book’s greeting when run', async (t) => {
    const c = await d.api('POST', '/containers/create', { Image: 'berth/hello', Hostname: 'hellohost' });
    if (c.status !== 201) {
      t.skip(`containers engine unavailable: ${c.status} ${c.body}`);
      return;
    }
    const id: string = c.json.Id;
    try {
      const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
      assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
      assert.equal((await wait).json.StatusCode, 0);
      const logs = await rawGet(`/containers/${id}/logs?stdout=1&stderr=1`);
      const text = demux(logs.body).stdout;
      const sep = '---------------------';
      const l = text.split('\n');
      assert.deepEqual(l.slice(0, 5), [sep, 'Hello from Chapter 2!', sep, 'My name is:', 'hellohost'], text);
      assert.deepEqual(l.slice(5, 8), [sep, 'Im running on:', `Linux ${os.release()} ${os.machine()}`], text);
      assert.deepEqual(l.slice(8, 10), [sep, 'My address is:'], text);
      assert.match(l[10], /^(inet addr:\d+\.\d+\.\d+\.\d+( {2}\S.*\S)?)?$/, text);
      assert.deepEqual(l.slice(11), [sep, ''], text);
    } finally {
      await d.api('DELETE', `/containers/${id}?force=1`);
    }
  });

  test('OCI layout with gzip layers, whiteouts and an opaque dir, checked through a real overlay mount', async () => {
    const bottom = await tarBuffer([
      { name: 'a', type: 'file', mode: 0o644, body: 'A' },
      { name: 'keep', type: 'file', mode: 0o644, body: 'K' },
      { name: 'd', type: 'directory', mode: 0o755 },
      { name: 'd/x', type: 'file', mode: 0o644, body: 'X' },
      { name: 'e', type: 'directory', mode: 0o755 },
      { name: 'e/old', type: 'file', mode: 0o644, body: 'O' },
    ]);
    const top = await tarBuffer([
      { name: '.wh.a', type: 'file', mode: 0o644 },
      { name: 'd', type: 'directory', mode: 0o750 },
      { name: 'd/.wh..wh..opq', type: 'file', mode: 0o644 },
      { name: 'd/y', type: 'file', mode: 0o644, body: 'Y' },
      { name: 'e/.wh.old', type: 'file', mode: 0o644 },
      { name: 'e/new', type: 'file', mode: 0o644, body: 'N' },
    ]);
    const layout = await ociLayout('docker.io/library/whiteouts:1', [{ tar: bottom, gzip: true }, { tar: top }], ['/bin/true']);
    let r = await d.api('POST', '/images/load?quiet=1', layout, TAR);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(lines(r.body), [{ stream: 'Loaded image: whiteouts:1\n' }]);
    const i = (await d.api('GET', '/images/whiteouts:1/json')).json;
    assert.deepEqual(i.RootFS.Layers, [sha(bottom), sha(top)], 'diffIDs are of the uncompressed tars');
    assert.deepEqual(i.Config.Labels, { origin: 'oci-test' });

    // Mount through the short links, as the container rootfs does.
    const linkDir = path.join(d.dataRoot, 'image', 'l');
    const links = await fsp.readdir(linkDir);
    const byTarget = new Map<string, string>();
    for (const l of links) byTarget.set(path.resolve(linkDir, await fsp.readlink(path.join(linkDir, l))), path.join(linkDir, l));
    const upper = byTarget.get(i.GraphDriver.Data.UpperDir);
    const lower = byTarget.get(i.GraphDriver.Data.LowerDir);
    assert.ok(upper && lower, 'each layer has a short link');
    assert.ok(path.basename(upper).length <= 26);
    const merged = await fsp.mkdtemp(path.join(d.dir, 'merged-'));
    mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
    try {
      const root = (await fsp.readdir(merged)).sort();
      assert.deepEqual(root, ['d', 'e', 'keep'], 'whited-out /a is gone');
      assert.deepEqual(await fsp.readdir(path.join(merged, 'd')), ['y'], 'opaque /d hides the lower d/x');
      assert.deepEqual((await fsp.readdir(path.join(merged, 'e'))).sort(), ['new'], 'e/old is whited out, e is not opaque');
      assert.equal((await fsp.stat(path.join(merged, 'd'))).mode & 0o777, 0o750);
      assert.equal(await fsp.readFile(path.join(merged, 'keep'), 'utf8'), 'K');
    } finally {
      spawnSync('umount', [merged]);
    }

    // Unnamed OCI image: loaded by ID.
    const anon = await ociLayout(undefined, [{ tar: bottom }], ['/x']);
    r = await d.api('POST', '/images/load', anon, TAR);
    assert.equal(r.status, 200);
    const last = lines(r.body).pop();
    assert.match(last.stream, /^Loaded image ID: sha256:[0-9a-f]{64}\n$/);
    const danglingList = await d.api('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`);
    assert.equal(danglingList.json.length, 1);
    assert.deepEqual(danglingList.json[0].RepoTags, []);
  });

  test('import a gzipped rootfs with changes and a message', async () => {
    const rootfs = gzipSync(
      await tarBuffer([
        { name: './', type: 'directory', mode: 0o755 },
        { name: './etc', type: 'directory', mode: 0o755 },
        { name: './etc/motd', type: 'file', mode: 0o644, body: 'hi\n' },
      ]),
    );
    const q = new URLSearchParams({ fromSrc: '-', repo: 'imported/app', tag: 'v1', message: 'from a test' });
    for (const c of ['CMD ["/bin/sh", "-c", "cat /etc/motd"]', 'ENV A=1 B="two words"', 'EXPOSE 8080', 'WORKDIR /srv', 'USER nobody', 'LABEL stage=test']) q.append('changes', c);
    let r = await d.api('POST', `/images/create?${q}`, rootfs, TAR);
    assert.equal(r.status, 200, r.body);
    const [{ status: id }] = lines(r.body);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const i = (await d.api('GET', '/images/imported/app:v1/json')).json;
    assert.equal(i.Id, id);
    assert.deepEqual(i.RepoTags, ['imported/app:v1']);
    assert.deepEqual(i.Config.Cmd, ['/bin/sh', '-c', 'cat /etc/motd']);
    assert.deepEqual(i.Config.Env, ['A=1', 'B=two words']);
    assert.deepEqual(i.Config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(i.Config.WorkingDir, '/srv');
    assert.equal(i.Config.User, 'nobody');
    assert.deepEqual(i.Config.Labels, { stage: 'test' });
    assert.equal(i.Comment, 'from a test');
    assert.equal(i.RootFS.Layers.length, 1);
    assert.equal(await fsp.readFile(path.join(i.GraphDriver.Data.UpperDir, 'etc/motd'), 'utf8'), 'hi\n');
    const h = (await d.api('GET', '/images/imported/app:v1/history')).json;
    assert.equal(h.length, 1);
    assert.equal(h[0].Comment, 'from a test');

    r = await d.api('POST', `/images/create?fromSrc=-&changes=${encodeURIComponent('RUN rm -rf /')}`, rootfs, TAR);
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'run is not a valid change command');
  });

  test('bad input is a 400 with a clear message and stores nothing; the daemon keeps serving', async () => {
    const before = await storeState();
    const count = await imageCount();
    const cases: [string, Buffer, RegExp][] = [
      ['/images/load', Buffer.from('this is not a tar archive'.repeat(100)), /^invalid image archive: /],
      ['/images/load', Buffer.alloc(0), /invalid image archive/],
      ['/images/load', busyboxTar().subarray(0, 100_000), /invalid image archive/],
      ['/images/load', await tarBuffer([{ name: 'hello.txt', type: 'file', mode: 0o644, body: 'x' }]), /no manifest.json or index.json/],
      [
        '/images/load',
        await tarBuffer([
          { name: 'manifest.json', type: 'file', mode: 0o644, body: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]) },
          { name: 'c.json', type: 'file', mode: 0o644, body: JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha('x')] } }) },
        ]),
        /layer l.tar is missing/,
      ],
      ['/images/create?fromSrc=-&repo=bad', Buffer.from('garbage'.repeat(200)), /invalid layer tar/],
      ['/images/create?fromSrc=-&repo=Bad', await tarBuffer([]), /must be lowercase/],
    ];
    for (const [p, body, re] of cases) {
      const r = await d.api('POST', p, body, TAR);
      assert.equal(r.status, 400, `${p}: ${r.body}`);
      assert.match(r.json.message, re);
    }
    // A layer whose content does not match its diffID is found while unpacking: the
    // error arrives in the stream and the layers unpacked so far are removed again.
    const good = await tarBuffer([{ name: 'f', type: 'file', mode: 0o644, body: 'F' }]);
    const liar = await tarBuffer([
      { name: 'manifest.json', type: 'file', mode: 0o644, body: JSON.stringify([{ Config: 'c.json', RepoTags: ['liar:1'], Layers: ['a.tar', 'b.tar'] }]) },
      { name: 'c.json', type: 'file', mode: 0o644, body: JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(good), sha('not it')] } }) },
      { name: 'a.tar', type: 'file', mode: 0o644, body: good },
      { name: 'b.tar', type: 'file', mode: 0o644, body: good },
    ]);
    const r = await d.api('POST', '/images/load', liar, TAR);
    const last = lines(r.body).pop();
    assert.match(last.error, /does not match its diffID/);
    assert.equal((await d.api('GET', '/images/liar:1/json')).status, 404);

    assert.equal(await imageCount(), count);
    assert.equal(await storeState(), before, 'nothing new on disk');
    assert.equal((await d.api('GET', '/_ping')).status, 200);
    assert.equal((await d.api('GET', '/images/busybox/json')).status, 200);
  });

  test('deleting the last reference removes the image and its unused layers from disk', async () => {
    const i = (await d.api('GET', '/images/whiteouts:1/json')).json;
    const dirs = [i.GraphDriver.Data.UpperDir, i.GraphDriver.Data.LowerDir];
    const r = await d.api('DELETE', '/images/whiteouts:1');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json[0], { Untagged: 'whiteouts:1' });
    assert.deepEqual(r.json[1], { Deleted: i.Id });
    // The bottom layer is shared with the unnamed image loaded earlier: only the top goes.
    assert.equal(r.json.length, 3, r.body);
    await assert.rejects(fsp.stat(dirs[0]));
    await fsp.stat(dirs[1]);
    const blobs = await fsp.readdir(path.join(d.dataRoot, 'image/blobs/sha256'));
    assert.ok(!blobs.includes(i.Id.slice(7)), 'config blob removed');
    assert.ok(!blobs.includes(i.RootFS.Layers[1].slice(7)), 'layer blob removed');
  });

  test('prune removes dangling images', async () => {
    const r = await d.api('POST', '/images/prune');
    assert.equal(r.status, 200, r.body);
    assert.ok(r.json.ImagesDeleted.some((x: any) => x.Deleted));
    assert.ok(r.json.SpaceReclaimed > 0);
    const left = await d.api('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`);
    assert.deepEqual(left.json, []);
  });

  test('state survives a crash (kill -9) and restart', async () => {
    const beforeList = (await d.api('GET', '/images/json')).json;
    await d.kill9();
    await d.restart();
    const afterList = (await d.api('GET', '/images/json')).json;
    assert.deepEqual(afterList, beforeList);
    const i = (await d.api('GET', '/images/busybox/json')).json;
    await fsp.stat(path.join(i.GraphDriver.Data.UpperDir, 'bin/busybox'));
  });
});

/** GET returning the raw body (the helper decodes text). */
function rawGet(p: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'GET', path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('image events (in-process ImageService)', () => {
  let dir = '';
  after(async () => {
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  test('load, tag, untag, delete, save and import publish Docker-shaped events', async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-image-events-'));
    const bus = new EventBus();
    const seen: EngineEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const svc = new ImageService(path.join(dir, 'image'), bus);
    await svc.init();
    svc.setUsage({ containersUsing: () => [] });
    const { Readable, PassThrough } = await import('node:stream');
    const p = await svc.prepareLoad(Readable.from([busyboxTar()]));
    await p.run(() => undefined, true);
    const id = await svc.resolveId('busybox');
    await svc.tag('busybox', 'ev', 'one');
    const out = new PassThrough();
    out.resume();
    await svc.prepareSave(['busybox']).write(out);
    await svc.remove('ev:one');
    await svc.remove('busybox');
    const imported = await svc.importImage(Readable.from([await tarBuffer([{ name: 'f', type: 'file', mode: 0o644, body: 'x' }])]), {});
    const actions = seen.filter((e) => e.Type === 'image').map((e) => `${e.Action} ${e.Actor.Attributes.name}`);
    assert.deepEqual(actions, [
      `load ${id}`,
      'tag ev:one',
      `save ${id}`,
      `untag ${id}`,
      `untag ${id}`,
      `delete ${id}`,
      `import ${imported}`,
    ]);
    assert.ok(seen.every((e) => e.scope === 'local' && e.Actor.ID));
    assert.equal(svc.count(), 1);
  });
});
