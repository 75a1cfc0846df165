import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, PassThrough } from 'node:stream';
import * as tar from 'tar-stream';
import { RootedFs } from '../../src/drivers/storage/rooted-fs.js';
import { extractTar, cleanEntryName, ExtractError } from '../../src/drivers/storage/rooted-untar.js';
import { packTree, writeTar } from '../../src/drivers/storage/rooted-tar.js';
import { preserveTrailingDotOrSeparator } from '../../src/engine/containers/container-archive.js';
import { GoMode } from '../../src/lib/go-filemode.js';

/** A tar built in memory from [name, type, content/linkname] triples. */
async function makeTar(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number }[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), size: type === 'file' ? Buffer.byteLength(e.body ?? '') : 0 }, type === 'file' ? (e.body ?? '') : '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  return pack as unknown as Readable;
}

async function readTar(stream: Readable): Promise<{ name: string; type: string; linkname?: string | null; body: string }[]> {
  const out: { name: string; type: string; linkname?: string | null; body: string }[] = [];
  const ex = tar.extract();
  ex.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      out.push({ name: h.name, type: h.type, linkname: h.linkname, body: Buffer.concat(chunks).toString() });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.pipe(ex as unknown as NodeJS.WritableStream);
  });
  return out;
}

describe('rooted fs: a container root that tries to escape', () => {
  let dir: string;
  let root: string;
  let outside: string;
  let rfs: RootedFs;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-rooted-'));
    root = path.join(dir, 'root');
    outside = path.join(dir, 'host');
    await fsp.mkdir(path.join(root, 'etc'), { recursive: true });
    await fsp.mkdir(path.join(root, 'tmp'), { recursive: true });
    await fsp.mkdir(outside, { recursive: true });
    await fsp.writeFile(path.join(root, 'etc/passwd'), 'container passwd\n');
    await fsp.writeFile(path.join(outside, 'secret'), 'host secret\n');
    // Links a hostile container would plant: absolute, climbing, and straight at the host dir.
    await fsp.symlink('/etc', path.join(root, 'tmp/evil'));
    await fsp.symlink('../../../../../../../..', path.join(root, 'tmp/up'));
    await fsp.symlink(outside, path.join(root, 'tmp/hostdir'));
    await fsp.symlink(path.join(outside, 'secret'), path.join(root, 'tmp/secret'));
    rfs = await RootedFs.open(root);
  });
  after(async () => {
    await rfs?.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test('reads through links land inside the root', async () => {
    assert.equal((await rfs.readFile('/tmp/evil/passwd'))?.toString(), 'container passwd\n');
    assert.equal((await rfs.readFile('/tmp/up/etc/passwd'))?.toString(), 'container passwd\n');
    // The host directory's path, seen from inside the root, does not exist there.
    assert.equal(await rfs.readFile('/tmp/secret'), undefined);
    assert.equal(await rfs.readFile('/tmp/hostdir/secret'), undefined);
  });

  test('stat reports the link itself, with its target resolved in scope', async () => {
    const st = await rfs.stat('/tmp/evil');
    assert.equal(st.name, 'evil');
    assert.equal(st.linkTarget, '/etc');
    assert.equal(st.mode, GoMode.Symlink + 0o777);
    assert.equal((await rfs.stat('/tmp/up')).linkTarget, '/');
    assert.equal((await rfs.stat('/tmp/secret')).linkTarget, path.join(outside, 'secret'), 'a target that is missing inside the root stays a name');
    const d = await rfs.stat('/etc/');
    assert.equal(d.mode, GoMode.Dir + 0o755);
    await assert.rejects(rfs.stat('/nope'), /no such file/);
  });

  test('extracting into a link to the host writes inside the root', async () => {
    const input = await makeTar([{ name: 'pwned', body: 'x' }]);
    const r = await rfs.resolve('/tmp/hostdir', { followFinal: true, missing: 'lexical' });
    r.walker.close();
    // The link's target does not exist in the root: nothing can be extracted there...
    assert.equal(r.kind.type, 'missing');
    // ...while a link to /etc means the container's /etc.
    await extractTar(rfs, '/etc', input, { noOverwriteDirNonDir: true });
    const t2 = await makeTar([{ name: 'evil/pwned2', body: 'y' }, { name: 'up/pwned3', body: 'z' }, { name: 'hostdir/pwned4', body: 'w' }]);
    await extractTar(rfs, '/tmp', t2, { noOverwriteDirNonDir: true });
    assert.equal(await fsp.readFile(path.join(root, 'etc/pwned2'), 'utf8'), 'y');
    assert.equal(await fsp.readFile(path.join(root, 'pwned3'), 'utf8'), 'z');
    // hostdir -> <abs host path>: inside the root that path is created, the host dir is untouched.
    assert.equal(await fsp.readFile(path.join(root, outside, 'pwned4'), 'utf8'), 'w');
    assert.deepEqual((await fsp.readdir(outside)).sort(), ['secret']);
  });

  test('an archive that plants a link and writes through it stays inside', async () => {
    const t = await makeTar([
      { name: 'trap', type: 'symlink', linkname: outside },
      { name: 'trap/owned', body: 'nope' },
      { name: 'trap2', type: 'symlink', linkname: '../../../../../../../../..' + outside },
      { name: 'trap2/owned2', body: 'nope' },
    ]);
    await extractTar(rfs, '/tmp', t, { noOverwriteDirNonDir: true });
    assert.deepEqual(await fsp.readdir(outside), ['secret']);
    assert.equal(await fsp.readFile(path.join(root, outside, 'owned'), 'utf8'), 'nope');
    assert.equal(await fsp.readFile(path.join(root, outside, 'owned2'), 'utf8'), 'nope');
  });

  test('names that climb out of the destination are refused', async () => {
    assert.throws(() => cleanEntryName('../x'), ExtractError);
    assert.throws(() => cleanEntryName('a/../../x'), ExtractError);
    assert.equal(cleanEntryName('/./a//b/'), 'a/b');
    await assert.rejects(extractTar(rfs, '/tmp', await makeTar([{ name: '../escape', body: 'x' }]), { noOverwriteDirNonDir: true }), /leaves the destination/);
    await assert.rejects(fsp.access(path.join(root, 'escape')));
  });

  test('noOverwriteDirNonDir: Docker’s conflicts', async () => {
    await fsp.mkdir(path.join(root, 'tmp/adir'));
    await fsp.writeFile(path.join(root, 'tmp/afile'), 'f');
    await assert.rejects(extractTar(rfs, '/tmp', await makeTar([{ name: 'adir', body: 'x' }]), { noOverwriteDirNonDir: true }), /cannot overwrite directory "\/tmp\/adir" with non-directory "\/tmp"/);
    await assert.rejects(
      extractTar(rfs, '/tmp', await makeTar([{ name: 'afile', type: 'directory' }]), { noOverwriteDirNonDir: true }),
      /cannot overwrite non-directory "\/tmp\/afile" with directory "\/tmp"/,
    );
    // Without the option a file replaces a directory, as tar does.
    await extractTar(rfs, '/tmp', await makeTar([{ name: 'adir', body: 'now a file' }]), { noOverwriteDirNonDir: false });
    assert.equal(await fsp.readFile(path.join(root, 'tmp/adir'), 'utf8'), 'now a file');
  });

  test('an existing link in the last component is replaced, not followed', async () => {
    await fsp.symlink(path.join(outside, 'secret'), path.join(root, 'tmp/replace-me'));
    await extractTar(rfs, '/tmp', await makeTar([{ name: 'replace-me', body: 'mine' }]), { noOverwriteDirNonDir: true });
    assert.equal(await fsp.readFile(path.join(outside, 'secret'), 'utf8'), 'host secret\n');
    assert.equal(await fsp.readFile(path.join(root, 'tmp/replace-me'), 'utf8'), 'mine');
  });

  test('archives never follow links: they are stored as links', async () => {
    const r = await rfs.resolve('/tmp', { followFinal: false });
    const pt = new PassThrough();
    const entries = readTar(pt);
    await writeTar(pt, (pack) => packTree(r.walker.fd, r.name, r.path, pack, { rebaseName: 'tmp' }));
    pt.end();
    r.walker.close();
    const list = await entries;
    const byName = new Map(list.map((e) => [e.name, e]));
    assert.equal(byName.get('tmp/')?.type, 'directory');
    assert.deepEqual([byName.get('tmp/hostdir')?.type, byName.get('tmp/hostdir')?.linkname], ['symlink', outside]);
    assert.deepEqual([byName.get('tmp/evil')?.type, byName.get('tmp/evil')?.linkname], ['symlink', '/etc']);
    assert.ok(!list.some((e) => e.body.includes('host secret')));
  });

  test('trailing "/." and "/" are kept (copy the contents / must be a directory)', () => {
    assert.equal(preserveTrailingDotOrSeparator('/a/b', '/a/b/.'), '/a/b/.');
    assert.equal(preserveTrailingDotOrSeparator('/a/b', 'a/b/'), '/a/b/');
    assert.equal(preserveTrailingDotOrSeparator('/', '.'), '/.');
    assert.equal(preserveTrailingDotOrSeparator('/a', '/a'), '/a');
  });
});
