import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { normalizeMember, rewriteLayerTar, OPAQUE_XATTR_PAX } from '../../src/drivers/storage/whiteout-rewrite.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

type H = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> };
interface Out {
  header: H;
  body: string;
}

async function makeTar(entries: { header: H; body?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((res, rej) => pack.entry(e.header, e.body ?? '', (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function readTar(buf: Buffer): Promise<Out[]> {
  const ex = tar.extract();
  const out: Out[] = [];
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ header: header as unknown as H, body: Buffer.concat(chunks).toString() });
      next();
    });
  });
  const done = new Promise<void>((r, j) => {
    ex.on('finish', () => r());
    ex.on('error', (e) => j(e));
  });
  ex.end(buf);
  await done;
  return out;
}

async function rewrite(buf: Buffer): Promise<{ entries: Out[]; stats: Awaited<ReturnType<typeof rewriteLayerTar>> }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const stats = await rewriteLayerTar(Readable.from([buf]), out);
  return { entries: await readTar(Buffer.concat(chunks)), stats };
}

test('a .wh. file becomes a 0/0 character device with the hidden name', async () => {
  const t = await makeTar([
    { header: { name: 'etc/', type: 'directory', mode: 0o755 } },
    { header: { name: 'etc/.wh.passwd', type: 'file', mode: 0o644, uid: 7, gid: 8 } },
    { header: { name: 'etc/hosts', type: 'file', mode: 0o644 }, body: 'localhost\n' },
  ]);
  const { entries, stats } = await rewrite(t);
  const wh = entries.find((e) => e.header.name === 'etc/passwd');
  assert.ok(wh, 'whiteout entry present');
  assert.equal(wh.header.type, 'character-device');
  assert.equal(wh.header.devmajor, 0);
  assert.equal(wh.header.devminor, 0);
  assert.equal(wh.header.uid, 7);
  assert.ok(!entries.some((e) => e.header.name.includes('.wh.')));
  assert.equal(entries.find((e) => e.header.name === 'etc/hosts')?.body, 'localhost\n');
  assert.equal(stats.whiteouts, 1);
  assert.equal(stats.size, 10);
});

test('an opaque marker becomes a directory entry with the overlay opaque xattr and keeps the dir mode', async () => {
  const t = await makeTar([
    { header: { name: 'var/lib/', type: 'directory', mode: 0o700, uid: 33, gid: 33 } },
    { header: { name: 'var/lib/.wh..wh..opq', type: 'file', mode: 0o644 } },
    { header: { name: 'var/lib/new', type: 'file', mode: 0o600 }, body: 'n' },
  ]);
  const { entries, stats } = await rewrite(t);
  const dirs = entries.filter((e) => e.header.name.replace(/\/$/, '') === 'var/lib');
  assert.equal(dirs.length, 2);
  const opq = dirs[1];
  assert.equal(opq.header.type, 'directory');
  assert.equal(opq.header.mode! & 0o7777, 0o700);
  assert.equal(opq.header.uid, 33);
  assert.equal((opq.header.pax ?? {})[OPAQUE_XATTR_PAX], 'y');
  assert.equal(stats.opaques, 1);
  assert.ok(!entries.some((e) => e.header.name.includes('.wh.')));
});

test('an opaque marker for a directory without its own entry still yields the xattr', async () => {
  const t = await makeTar([{ header: { name: './a/b/.wh..wh..opq', type: 'file' } }]);
  const { entries } = await rewrite(t);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].header.name.replace(/\/$/, ''), 'a/b');
  assert.equal(entries[0].header.pax?.[OPAQUE_XATTR_PAX], 'y');
});

test('AUFS metadata entries are dropped; forged overlay xattrs are stripped; other xattrs kept', async () => {
  const t = await makeTar([
    { header: { name: '.wh..wh.plnk/', type: 'directory' } },
    { header: { name: '.wh..wh.aufs', type: 'file' } },
    {
      header: {
        name: 'bin/ping',
        type: 'file',
        mode: 0o755,
        pax: { 'SCHILY.xattr.security.capability': 'caps', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' },
      },
      body: 'x',
    },
  ]);
  const { entries } = await rewrite(t);
  assert.deepEqual(
    entries.map((e) => e.header.name),
    ['bin/ping'],
  );
  assert.equal(entries[0].header.pax?.['SCHILY.xattr.security.capability'], 'caps');
  assert.equal(entries[0].header.pax?.['SCHILY.xattr.trusted.overlay.redirect'], undefined);
});

test('modes, owners, links and long names pass through unchanged', async () => {
  const long = 'd/' + 'x'.repeat(150) + '/file';
  const t = await makeTar([
    { header: { name: 'etc/shadow', type: 'file', mode: 0o100000, uid: 0, gid: 42 }, body: 'root:*' },
    { header: { name: 'bin/sh', type: 'symlink', linkname: 'busybox' } },
    { header: { name: 'bin/ls', type: 'link', linkname: './bin/busybox' } },
    { header: { name: long, type: 'file', mode: 0o640 }, body: 'y' },
  ]);
  const { entries, stats } = await rewrite(t);
  const shadow = entries.find((e) => e.header.name === 'etc/shadow')!;
  assert.equal(shadow.header.mode! & 0o7777, 0, 'mode 0 must stay 0');
  assert.equal(shadow.header.gid, 42);
  assert.equal(entries.find((e) => e.header.name === 'bin/sh')!.header.linkname, 'busybox');
  assert.equal(entries.find((e) => e.header.name === 'bin/ls')!.header.linkname, 'bin/busybox');
  assert.equal(entries.find((e) => e.header.name === long)!.body, 'y');
  assert.equal(stats.size, 6 + 7 + 1);
});

test('members outside the root are refused', async () => {
  const t = await makeTar([{ header: { name: '../../etc/evil', type: 'file' }, body: 'x' }]);
  await assert.rejects(rewrite(t), InvalidParameterError);
  const t2 = await makeTar([{ header: { name: 'ok', type: 'link', linkname: '../../etc/shadow' } }]);
  await assert.rejects(rewrite(t2), /outside the layer root/);
});

test('garbage and truncated input are InvalidParameterErrors', async () => {
  await assert.rejects(rewrite(Buffer.alloc(1024, 7)), InvalidParameterError);
  const good = await makeTar([{ header: { name: 'f', type: 'file' }, body: 'z'.repeat(5000) }]);
  await assert.rejects(rewrite(good.subarray(0, 2000)), InvalidParameterError);
});

test('normalizeMember', () => {
  assert.equal(normalizeMember('./a/b/'), 'a/b');
  assert.equal(normalizeMember('/a//b'), 'a/b');
  assert.equal(normalizeMember('./'), '.');
  assert.equal(normalizeMember('a/../b'), 'b');
  assert.throws(() => normalizeMember('a/../../b'), InvalidParameterError);
  assert.throws(() => normalizeMember('..'), InvalidParameterError);
});
