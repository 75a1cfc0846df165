/**
 * The archive API (docker cp), diff, export and commit against a real berthd: running and
 * stopped containers, bind mounts and tmpfs, Docker's stat header and errors, and a
 * container that plants symlinks to get at the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { demux, loadBusybox } from '../helpers/busybox.js';
import { GoMode } from '../../src/lib/go-filemode.js';

let d: TestDaemon;
let hostDir: string;

async function runContainer(name: string, cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const { HostConfig, ...rest } = extra as { HostConfig?: Record<string, unknown> };
  const c = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none', ...HostConfig }, ...rest });
  assert.equal(c.status, 201, c.body);
  const s = await d.api('POST', `/containers/${c.json.Id}/start`);
  assert.equal(s.status, 204, s.body);
  return c.json.Id;
}

/** Runs a shell command in a container and waits for it (through exec). */
async function sh(container: string, script: string): Promise<string> {
  const e = await d.api('POST', `/containers/${container}/exec`, { Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
  assert.equal(e.status, 201, e.body);
  const r = await d.api('POST', `/exec/${e.json.Id}/start`, { Detach: false, Tty: false });
  return demux(Buffer.from(r.body, 'latin1')).stdout;
}

/** GET with the body kept binary. */
function getRaw(p: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: d.socket, path: p }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

async function tarEntries(buf: Buffer): Promise<Map<string, { type: string; body: string; linkname?: string | null; mode: number; uid: number }>> {
  const out = new Map<string, { type: string; body: string; linkname?: string | null; mode: number; uid: number }>();
  const ex = tar.extract();
  ex.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      out.set(h.name, { type: h.type, body: Buffer.concat(chunks).toString(), linkname: h.linkname, mode: h.mode, uid: h.uid });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    Readable.from([buf]).pipe(ex as unknown as NodeJS.WritableStream);
  });
  return out;
}

async function makeTar(entries: { name: string; type?: 'file' | 'directory' | 'symlink'; body?: string; linkname?: string; uid?: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, type, linkname: e.linkname, uid: e.uid ?? 0, gid: e.uid ?? 0, mode: type === 'directory' ? 0o755 : 0o644 }, type === 'file' ? (e.body ?? '') : '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function statOf(headers: http.IncomingHttpHeaders): { name: string; size: number; mode: number; mtime: string; linkTarget: string } {
  const h = headers['x-docker-container-path-stat'];
  assert.ok(typeof h === 'string', 'stat header');
  return JSON.parse(Buffer.from(h, 'base64').toString());
}

async function put(container: string, p: string, body: Buffer, q = ''): Promise<{ status: number; json: any }> {
  const r = await d.api('PUT', `/containers/${container}/archive?path=${encodeURIComponent(p)}${q}`, body, { 'Content-Type': 'application/x-tar' });
  return { status: r.status, json: r.json };
}

describe('archive, diff, export and commit against a real berthd', () => {
  before(async () => {
    d = await startTestDaemon('archive');
    await loadBusybox(d);
    hostDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-archive-host-'));
    await fsp.writeFile(path.join(hostDir, 'secret'), 'host secret\n');
  });
  after(async () => {
    await d?.cleanup();
    await fsp.rm(hostDir, { recursive: true, force: true });
  });

  test('HEAD: Docker’s stat header; 404 and 400 as dockerd words them', async () => {
    const c = await runContainer('ar-stat', ['sh', '-c', 'ln -s /etc/passwd /tmp/pw; sleep 600']);
    await new Promise((r) => setTimeout(r, 200));
    const f = await d.api('HEAD', `/containers/${c}/archive?path=/etc/passwd`);
    assert.equal(f.status, 200);
    const st = statOf(f.headers);
    assert.equal(st.name, 'passwd');
    assert.equal(st.mode, 0o644);
    assert.ok(st.size > 0);
    assert.match(st.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const dir = statOf((await d.api('HEAD', `/containers/${c}/archive?path=/etc`)).headers);
    assert.equal(dir.mode, GoMode.Dir + 0o755);
    const link = statOf((await d.api('HEAD', `/containers/${c}/archive?path=/tmp/pw`)).headers);
    assert.equal(link.mode, GoMode.Symlink + 0o777);
    assert.equal(link.linkTarget, '/etc/passwd');
    const missing = await d.api('GET', `/containers/ar-stat/archive?path=/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'Could not find the file /nope in container ar-stat');
    assert.equal((await d.api('HEAD', `/containers/${c}/archive?path=/nope`)).status, 404);
    assert.equal((await d.api('GET', `/containers/${c}/archive`)).status, 400);
    assert.equal((await d.api('GET', `/containers/nosuch/archive?path=/`)).status, 404);
  });

  test('GET: a file, a directory, a directory’s contents; running (with mounts) and stopped', async () => {
    await fsp.writeFile(path.join(hostDir, 'in-bind'), 'bound\n');
    const c = await runContainer('ar-get', ['sh', '-c', 'mkdir -p /data/sub; echo one > /data/a; echo two > /data/sub/b; ln -s a /data/la; echo t > /scratch/t; sleep 600'], {
      HostConfig: { Binds: [`${hostDir}:/bound:ro`], Tmpfs: { '/scratch': '' } },
    });
    await new Promise((r) => setTimeout(r, 300));
    const file = await getRaw(`/containers/${c}/archive?path=/data/a`);
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/x-tar');
    assert.equal(statOf(file.headers).name, 'a');
    assert.deepEqual([...(await tarEntries(file.body)).entries()].map(([n, e]) => [n, e.body]), [['a', 'one\n']]);
    const dir = await tarEntries((await getRaw(`/containers/${c}/archive?path=/data`)).body);
    assert.deepEqual([...dir.keys()].sort(), ['data/', 'data/a', 'data/la', 'data/sub/', 'data/sub/b']);
    assert.equal(dir.get('data/la')?.type, 'symlink');
    assert.equal(dir.get('data/la')?.linkname, 'a');
    const contents = await tarEntries((await getRaw(`/containers/${c}/archive?path=/data/.`)).body);
    assert.ok(contents.has('./a') && contents.has('./sub/b'), [...contents.keys()].join(','));
    // The running container's mounts are what its processes see.
    assert.equal((await tarEntries((await getRaw(`/containers/${c}/archive?path=/bound/in-bind`)).body)).get('in-bind')?.body, 'bound\n');
    assert.equal((await tarEntries((await getRaw(`/containers/${c}/archive?path=/scratch/t`)).body)).get('t')?.body, 't\n');
    // Stopped: the rootfs is mounted for the copy and unmounted after.
    assert.equal((await d.api('POST', `/containers/${c}/stop?t=0`)).status, 204);
    const stopped = await tarEntries((await getRaw(`/containers/${c}/archive?path=/data/sub`)).body);
    assert.equal(stopped.get('sub/b')?.body, 'two\n');
    const mounts = await fsp.readFile('/proc/self/mounts', 'utf8');
    assert.ok(!mounts.includes(`${c}/merged`), 'the rootfs does not stay mounted: ' + mounts.split('\n').filter((l) => l.includes(c)).join('\n'));
  });

  test('PUT: extract into a directory, replace a file; Docker’s refusals', async () => {
    const c = await runContainer('ar-put', ['sh', '-c', 'mkdir /adir; echo old > /afile; sleep 600']);
    const nobody = await runContainer('ar-put-user', ['sleep', '600'], { User: 'nobody' });
    await new Promise((r) => setTimeout(r, 200));
    const t = await makeTar([{ name: 'new', type: 'directory' }, { name: 'new/f', body: 'fresh\n', uid: 1234 }]);
    assert.equal((await put(c, '/tmp', t)).status, 200);
    assert.equal(await sh(c, 'cat /tmp/new/f; stat -c %u /tmp/new/f'), 'fresh\n1234\n');
    // copyUIDGID: owned by the container's user.
    assert.equal((await put(nobody, '/tmp', await makeTar([{ name: 'mine', body: 'x', uid: 1234 }]), '&copyUIDGID=1')).status, 200);
    assert.equal(await sh(nobody, 'stat -c %u:%g /tmp/mine'), '65534:65534\n');
    assert.equal((await put(c, '/', await makeTar([{ name: 'afile', body: 'new\n' }]))).status, 200);
    assert.equal(await sh(c, 'cat /afile'), 'new\n');
    const noParent = await put(c, '/no/such/dir', t);
    assert.equal(noParent.status, 404);
    assert.equal(noParent.json.message, 'Could not find the file /no/such/dir in container ' + c);
    const notDir = await put(c, '/afile', t);
    assert.equal(notDir.status, 400);
    assert.equal(notDir.json.message, 'extraction point is not a directory');
    const over = await put(c, '/', await makeTar([{ name: 'adir', body: 'x' }]), '&noOverwriteDirNonDir=true');
    assert.equal(over.status, 400);
    assert.equal(over.json.message, 'cannot overwrite directory "/adir" with non-directory "/"');
    const over2 = await put(c, '/', await makeTar([{ name: 'afile', type: 'directory' }]), '&noOverwriteDirNonDir=true');
    assert.equal(over2.status, 400);
    assert.match(over2.json.message, /cannot overwrite non-directory "\/afile" with directory "\/"/);
    const escape = await put(c, '/tmp', await makeTar([{ name: '../../etc/escaped', body: 'x' }]));
    assert.equal(escape.status, 400);
    const ro = await runContainer('ar-ro', ['sleep', '600'], { HostConfig: { ReadonlyRootfs: true } });
    const roPut = await put(ro, '/tmp', t);
    assert.equal(roPut.status, 400);
    assert.equal(roPut.json.message, 'container rootfs is marked read-only');
  });

  test('hostile symlinks never reach the host', async () => {
    const c = await runContainer('ar-evil', ['sleep', '600']);
    await sh(c, `ln -s /etc /tmp/evil; ln -s ../../../../../../../.. /tmp/up; ln -s ${hostDir} /tmp/hostdir; ln -s ${hostDir}/secret /tmp/secret; echo container > /etc/marker`);
    // Reads: through the links, the container's own files.
    const viaEvil = await tarEntries((await getRaw(`/containers/${c}/archive?path=/tmp/evil/marker`)).body);
    assert.equal(viaEvil.get('marker')?.body, 'container\n');
    const viaUp = await tarEntries((await getRaw(`/containers/${c}/archive?path=/tmp/up/etc/marker`)).body);
    assert.equal(viaUp.get('marker')?.body, 'container\n');
    assert.equal((await getRaw(`/containers/${c}/archive?path=/tmp/hostdir/secret`)).status, 404);
    const secretLink = await tarEntries((await getRaw(`/containers/${c}/archive?path=/tmp/secret`)).body);
    assert.deepEqual([secretLink.get('secret')?.type, secretLink.get('secret')?.body], ['symlink', '']);
    // Writes: into the container, never the host.
    assert.equal((await put(c, '/tmp/evil', await makeTar([{ name: 'pwned', body: 'x' }]))).status, 200);
    assert.equal(await sh(c, 'cat /etc/pwned'), 'x');
    await assert.rejects(fsp.access('/etc/pwned'));
    assert.equal((await put(c, '/tmp/hostdir', await makeTar([{ name: 'pwned', body: 'x' }]))).status, 404);
    assert.equal(
      (await put(c, '/tmp', await makeTar([{ name: 'plant', type: 'symlink', linkname: hostDir }, { name: 'plant/pwned', body: 'y' }, { name: 'secret', body: 'replaced' }]))).status,
      200,
    );
    assert.deepEqual((await fsp.readdir(hostDir)).sort(), ['in-bind', 'secret']);
    assert.equal(await fsp.readFile(path.join(hostDir, 'secret'), 'utf8'), 'host secret\n');
    assert.equal(await sh(c, `cat ${hostDir}/pwned; cat /tmp/secret`), 'yreplaced');
  });

  test('diff: A, C, D of a running and a stopped container', async () => {
    const c = await runContainer('ar-diff', ['sleep', '600']);
    await sh(c, 'echo x > /tmp/added; echo y >> /etc/passwd; rm /etc/group; mkdir -p /newdir/sub; touch /newdir/sub/f');
    const expected = [
      { Kind: 0, Path: '/etc' },
      { Kind: 2, Path: '/etc/group' },
      { Kind: 0, Path: '/etc/passwd' },
      { Kind: 1, Path: '/newdir' },
      { Kind: 1, Path: '/newdir/sub' },
      { Kind: 1, Path: '/newdir/sub/f' },
      { Kind: 0, Path: '/tmp' },
      { Kind: 1, Path: '/tmp/added' },
    ];
    const running = await d.api('GET', `/containers/${c}/changes`);
    assert.equal(running.status, 200);
    assert.deepEqual(running.json.map((x: { Path: string; Kind: number }) => ({ Kind: x.Kind, Path: x.Path })), expected);
    await d.api('POST', `/containers/${c}/stop?t=0`);
    assert.deepEqual((await d.api('GET', `/containers/${c}/changes`)).json, expected.map((e) => ({ Path: e.Path, Kind: e.Kind })));
    const fresh = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    assert.equal((await d.api('GET', `/containers/${fresh.json.Id}/changes`)).body.trim(), 'null');
  });

  test('export: the container’s own filesystem, without its mounts', async () => {
    await fsp.writeFile(path.join(hostDir, 'mounted'), 'not exported');
    const c = await runContainer('ar-export', ['sh', '-c', 'echo hello > /hello; sleep 600'], { HostConfig: { Binds: [`${hostDir}:/mnt/host`] } });
    await new Promise((r) => setTimeout(r, 200));
    const r = await getRaw(`/containers/${c}/export`);
    assert.equal(r.status, 200);
    const entries = await tarEntries(r.body);
    assert.equal(entries.get('hello')?.body, 'hello\n');
    assert.ok(entries.has('bin/busybox'));
    assert.ok(entries.has('etc/passwd'));
    assert.ok(![...entries.keys()].some((k) => k.startsWith('mnt/host/') && k !== 'mnt/host/'), 'bind mounts are not exported');
    assert.ok(!entries.has('etc/group') || entries.get('etc/group')?.type === 'file');
    assert.equal((await getRaw('/containers/nosuch/export')).status, 404);
  });

  test('commit: the upper dir as a layer, with changes, author, comment; the container is paused meanwhile', async () => {
    const c = await runContainer('ar-commit', ['sleep', '600']);
    await sh(c, 'echo committed > /data.txt; rm /etc/group; rm -rf /home; mkdir /home; echo n > /home/new');
    const r = await d.api('POST', `/commit?container=ar-commit&repo=committed&tag=v1&comment=my%20change&author=Berth%20Test&changes=${encodeURIComponent('CMD ["cat", "/data.txt"]')}&changes=${encodeURIComponent('ENV FOO=bar')}`);
    assert.equal(r.status, 201, r.body);
    assert.match(r.json.Id, /^sha256:[0-9a-f]{64}$/);
    const img = (await d.api('GET', '/images/committed:v1/json')).json;
    assert.deepEqual(img.Config.Cmd, ['cat', '/data.txt']);
    assert.ok(img.Config.Env.includes('FOO=bar'));
    assert.equal(img.Author, 'Berth Test');
    assert.equal(img.Comment, 'my change');
    assert.equal(img.RootFS.Layers.length, 2);
    const history = (await d.api('GET', '/images/committed:v1/history')).json;
    assert.equal(history[0].Comment, 'my change');
    assert.equal(history[0].CreatedBy, 'sleep 600');
    assert.equal((await d.api('GET', `/containers/${c}/json`)).json.State.Status, 'running', 'unpaused after the commit');
    // The new image carries the change, the deletions and the opaque directory.
    const run2 = await runContainer('ar-from-commit', ['sh', '-c', 'cat /data.txt; ls /etc/group 2>&1; ls /home; sleep 600'], { Image: 'committed:v1' });
    await new Promise((r2) => setTimeout(r2, 500));
    const logs = await d.api('GET', `/containers/${run2}/logs?stdout=1&stderr=1`);
    const out = demux(Buffer.from(logs.body, 'latin1'));
    assert.equal(out.stdout + out.stderr, 'committed\nls: /etc/group: No such file or directory\nnew\n');
    const bad = await d.api('POST', '/commit?container=ar-commit&repo=UPPER');
    assert.equal(bad.status, 400);
    assert.equal((await d.api('POST', '/commit?container=nosuch')).status, 404);
    const badChange = await d.api('POST', `/commit?container=ar-commit&changes=${encodeURIComponent('RUN true')}`);
    assert.equal(badChange.status, 400);
  });
});
