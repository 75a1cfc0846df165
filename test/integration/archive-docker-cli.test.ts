/**
 * The "Must show" for cp, diff, commit and export, with the real docker CLI (v28)
 * against berthd: cp out, edit, cp in, and busybox httpd serves the change (fetched from
 * inside the container with wget, so no host networking is involved); directories both
 * ways and from a stopped container; symlinks that try to escape the container root; diff
 * of a running and a stopped container.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;
let work: string;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function docker(args: string[], input?: string | Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('docker', args, { env: { DOCKER_HOST: d.host }, timeoutMs: 60_000, input });
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The page busybox httpd serves, fetched by wget inside the container itself. */
async function page(name: string, port: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const r = await docker(['exec', name, 'wget', '-qO-', `http://127.0.0.1:${port}/`]);
    if (r.code === 0) return r.stdout;
    last = r.stderr;
    await sleep(100);
  }
  throw new Error(`httpd did not answer: ${last}`);
}

describe('docker cp, diff, commit, export (docker CLI)', () => {
  before(async () => {
    d = await startTestDaemon('archive-cli');
    await loadBusybox(d);
    work = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cp-cli-'));
  });
  after(async () => {
    await d?.cleanup();
    await fsp.rm(work, { recursive: true, force: true });
  });

  test('cp out, edit, cp in: busybox httpd serves the change', async () => {
    await ok('run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'mkdir -p /www && echo "<h1>original</h1>" > /www/index.html && exec httpd -f -p 8080 -h /www');
    assert.equal(await page('web', 8080), '<h1>original</h1>\n');
    const local = path.join(work, 'index.html');
    await ok('cp', 'web:/www/index.html', local);
    assert.equal(await fsp.readFile(local, 'utf8'), '<h1>original</h1>\n');
    await fsp.writeFile(local, '<h1>edited from outside</h1>\n');
    await ok('cp', local, 'web:/www/index.html');
    assert.equal(await page('web', 8080), '<h1>edited from outside</h1>\n');
  });

  test('directories both ways, tar streams, and a stopped container', async () => {
    const src = path.join(work, 'site');
    await fsp.mkdir(path.join(src, 'css'), { recursive: true });
    await fsp.writeFile(path.join(src, 'about.html'), 'about\n');
    await fsp.writeFile(path.join(src, 'css/site.css'), 'body{}\n');
    await fsp.symlink('about.html', path.join(src, 'alias.html'));
    await ok('cp', src, 'web:/www/');
    assert.equal(await ok('exec', 'web', 'cat', '/www/site/css/site.css'), 'body{}\n');
    assert.equal(await ok('exec', 'web', 'readlink', '/www/site/alias.html'), 'about.html\n');
    const back = path.join(work, 'back');
    await ok('cp', 'web:/www', back);
    assert.equal(await fsp.readFile(path.join(back, 'site/about.html'), 'utf8'), 'about\n');
    assert.equal(await fsp.readlink(path.join(back, 'site/alias.html')), 'about.html');
    // Contents only ("/."), and tar streams on stdout / stdin.
    const contents = path.join(work, 'contents');
    await ok('cp', 'web:/www/site/.', contents);
    assert.deepEqual((await fsp.readdir(contents)).sort(), ['about.html', 'alias.html', 'css']);
    const stream = await run('sh', ['-c', `docker cp web:/www/site/about.html - | tar -tv`], { env: { DOCKER_HOST: d.host } });
    assert.match(stream.stdout, /about\.html/);
    const tarIn = await run('sh', ['-c', `cd ${src} && tar -cf - about.html | docker cp - web:/tmp`], { env: { DOCKER_HOST: d.host } });
    assert.equal(tarIn.code, 0, tarIn.stderr);
    assert.equal(await ok('exec', 'web', 'cat', '/tmp/about.html'), 'about\n');
    // -L follows a link in the container.
    await ok('cp', '-L', 'web:/www/site/alias.html', path.join(work, 'followed.html'));
    assert.equal(await fsp.readFile(path.join(work, 'followed.html'), 'utf8'), 'about\n');
    // A stopped container: out and in.
    await ok('stop', '-t', '0', 'web');
    const fromStopped = path.join(work, 'stopped-copy');
    await ok('cp', 'web:/www/site', fromStopped);
    assert.equal(await fsp.readFile(path.join(fromStopped, 'css/site.css'), 'utf8'), 'body{}\n');
    await fsp.writeFile(path.join(work, 'while-stopped.txt'), 'written while stopped\n');
    await ok('cp', path.join(work, 'while-stopped.txt'), 'web:/www/');
    await ok('start', 'web');
    assert.equal(await ok('exec', 'web', 'cat', '/www/while-stopped.txt'), 'written while stopped\n');
  });

  test('bad input: missing source, missing parent, a directory over a file', async () => {
    const missing = await docker(['cp', 'web:/nope', work]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Could not find the file \/nope in container web/);
    await fsp.writeFile(path.join(work, 'f.txt'), 'f');
    const noParent = await docker(['cp', path.join(work, 'f.txt'), 'web:/no/such/dir/f.txt']);
    assert.equal(noParent.code, 1);
    assert.match(noParent.stderr, /Could not find the file \/no\/such\/dir in container web/);
    const dirOverFile = await docker(['cp', path.join(work, 'site'), 'web:/www/index.html']);
    assert.equal(dirOverFile.code, 1);
    assert.match(dirOverFile.stderr, /cannot copy directory|not a directory/);
  });

  test('a container whose symlinks point at the host cannot get out of its root', async () => {
    const hostDir = path.join(work, 'host-only');
    await fsp.mkdir(hostDir);
    await fsp.writeFile(path.join(hostDir, 'secret'), 'host secret\n');
    await ok('run', '-d', '--name', 'evil', '--network', 'none', 'busybox', 'sh', '-c', `echo container > /etc/who; ln -s /etc /tmp/etc-link; ln -s ../../../../../../.. /tmp/up; ln -s ${hostDir} /tmp/hostdir; ln -s /etc/shadow-of-host /tmp/shadow; sleep 600`);
    await sleep(300);
    const marker = path.join(work, 'planted');
    await fsp.writeFile(marker, 'planted\n');
    // Into a link to /etc: the container's /etc.
    await ok('cp', marker, 'evil:/tmp/etc-link/');
    assert.equal(await ok('exec', 'evil', 'cat', '/etc/planted'), 'planted\n');
    await assert.rejects(fsp.access('/etc/planted'), 'the host /etc is untouched');
    // Into a link to a host path: that path inside the container, or nothing.
    const r = await docker(['cp', marker, 'evil:/tmp/hostdir/']);
    assert.deepEqual(await fsp.readdir(hostDir), ['secret']);
    if (r.code === 0) assert.equal(await ok('exec', 'evil', 'cat', `${hostDir}/planted`), 'planted\n');
    // Out through a climbing link: the container's file, never the host's.
    await ok('cp', 'evil:/tmp/up/etc/who', path.join(work, 'who'));
    assert.equal(await fsp.readFile(path.join(work, 'who'), 'utf8'), 'container\n');
    await ok('cp', '-L', 'evil:/tmp/etc-link/who', path.join(work, 'who2'));
    assert.equal(await fsp.readFile(path.join(work, 'who2'), 'utf8'), 'container\n');
    const secret = await docker(['cp', 'evil:/tmp/hostdir/secret', path.join(work, 'stolen')]);
    assert.equal(secret.code, 1);
    await assert.rejects(fsp.access(path.join(work, 'stolen')));
    // A link copied out stays a link: its host target is not read.
    await ok('cp', 'evil:/tmp/hostdir', path.join(work, 'linkcopy'));
    assert.equal(await fsp.readlink(path.join(work, 'linkcopy')), hostDir);
    assert.equal(await fsp.readFile(path.join(hostDir, 'secret'), 'utf8'), 'host secret\n');
  });

  test('diff shows A, C and D for a running and a stopped container', async () => {
    await ok('run', '-d', '--name', 'changer', '--network', 'none', 'busybox', 'sleep', '600');
    await ok('exec', 'changer', 'sh', '-c', 'echo new > /tmp/added.txt; echo more >> /etc/passwd; rm /etc/group; mkdir /opt/app 2>/dev/null || mkdir -p /opt/app');
    const expected = ['C /etc', 'D /etc/group', 'C /etc/passwd', 'A /opt', 'A /opt/app', 'C /tmp', 'A /tmp/added.txt'];
    assert.deepEqual((await ok('diff', 'changer')).trim().split('\n'), expected);
    await ok('stop', '-t', '0', 'changer');
    assert.deepEqual((await ok('diff', 'changer')).trim().split('\n'), expected);
  });

  test('commit the changes into an image and run it; export the filesystem', async () => {
    const id = (await ok('commit', '-a', 'Tester', '-m', 'added a file', '-c', 'CMD ["cat", "/tmp/added.txt"]', 'changer', 'changed:v1')).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok('run', '--rm', '--network', 'none', 'changed:v1'), 'new\n');
    const gone = await docker(['run', '--rm', '--network', 'none', 'changed:v1', 'cat', '/etc/group']);
    assert.notEqual(gone.code, 0);
    assert.match(await ok('history', '--no-trunc', 'changed:v1'), /added a file/);
    const list = await run('sh', ['-c', 'docker export changer | tar -t'], { env: { DOCKER_HOST: d.host } });
    assert.equal(list.code, 0, list.stderr);
    const names = list.stdout.split('\n');
    assert.ok(names.includes('tmp/added.txt'));
    assert.ok(names.includes('bin/busybox'));
    assert.ok(!names.includes('etc/group'));
  });
});
