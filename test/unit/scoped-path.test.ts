import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanScoped, resolveScoped, ScopedPathError, type NodeKind, type ScopeWalker } from '../../src/lib/scoped-path.js';

/** A tree in memory: dirs end with '/', symlinks are `-> target`, anything else is a file. */
type Tree = Record<string, string>;

class MapWalker implements ScopeWalker {
  cwd: string[] = [];
  mkdirs: string[] = [];
  constructor(private readonly tree: Tree) {}
  private key(name: string): string {
    return '/' + [...this.cwd, name].join('/');
  }
  async look(name: string): Promise<NodeKind> {
    const v = this.tree[this.key(name)];
    if (v === undefined) return { type: 'missing' };
    if (v === '/') return { type: 'dir' };
    if (v.startsWith('-> ')) return { type: 'symlink', target: v.slice(3) };
    return { type: 'file' };
  }
  async enter(name: string): Promise<void> {
    assert.equal(this.tree[this.key(name)], '/', `enter ${name} in /${this.cwd.join('/')}`);
    this.cwd.push(name);
  }
  async leave(): Promise<void> {
    this.cwd.pop();
  }
  async reset(): Promise<void> {
    this.cwd = [];
  }
  async mkdir(name: string): Promise<void> {
    this.tree[this.key(name)] = '/';
    this.mkdirs.push(this.key(name));
  }
}

// A container root with the classic CVE-2018-15664 traps.
const tree = (): Tree => ({
  '/etc': '/',
  '/etc/passwd': 'root:x:0:0',
  '/tmp': '/',
  '/tmp/evil': '-> /etc',
  '/tmp/up': '-> ../../../../../..',
  '/tmp/up2': '-> ../../../../../../etc/passwd',
  '/tmp/rel': '-> ../etc',
  '/tmp/chain1': '-> chain2',
  '/tmp/chain2': '-> /tmp/evil',
  '/tmp/loop1': '-> loop2',
  '/tmp/loop2': '-> loop1',
  '/tmp/file': 'data',
  '/tmp/tofile': '-> /etc/passwd',
  '/tmp/broken': '-> /nowhere/x',
  '/var': '/',
  '/var/run': '-> /run',
  '/run': '/',
});

async function resolve(t: Tree, p: string, followFinal = true, missing: 'error' | 'lexical' | 'mkdir' = 'error') {
  const w = new MapWalker(t);
  const r = await resolveScoped(p, w, { followFinal, missing });
  return { ...r, cwd: '/' + w.cwd.join('/'), walker: w };
}

describe('scoped path resolution (securejoin)', () => {
  test('an absolute symlink resolves inside the root', async () => {
    const r = await resolve(tree(), '/tmp/evil/passwd');
    assert.equal(r.path, '/etc/passwd');
    assert.equal(r.kind.type, 'file');
    assert.equal(r.cwd, '/etc');
    assert.equal(r.name, 'passwd');
  });

  test('.. and relative symlinks never climb above the root', async () => {
    assert.equal((await resolve(tree(), '/tmp/up/etc/passwd')).path, '/etc/passwd');
    assert.equal((await resolve(tree(), '/tmp/up2')).path, '/etc/passwd');
    assert.equal((await resolve(tree(), '../../../etc/passwd')).path, '/etc/passwd');
    assert.equal((await resolve(tree(), '/tmp/rel/passwd')).path, '/etc/passwd');
    const root = await resolve(tree(), '/tmp/up');
    assert.equal(root.path, '/');
    assert.equal(root.name, '');
  });

  test('the last component is followed only when asked', async () => {
    const notFollowed = await resolve(tree(), '/tmp/evil', false);
    assert.equal(notFollowed.path, '/tmp/evil');
    assert.deepEqual(notFollowed.kind, { type: 'symlink', target: '/etc' });
    assert.equal(notFollowed.cwd, '/tmp');
    const followed = await resolve(tree(), '/tmp/evil', true);
    assert.equal(followed.path, '/etc');
    assert.equal(followed.kind.type, 'dir');
    // A trailing slash always follows (POSIX).
    assert.equal((await resolve(tree(), '/tmp/evil/', false)).path, '/etc');
  });

  test('chains resolve, loops fail with ELOOP', async () => {
    assert.equal((await resolve(tree(), '/tmp/chain1/passwd')).path, '/etc/passwd');
    await assert.rejects(resolve(tree(), '/tmp/loop1'), (e: unknown) => e instanceof ScopedPathError && e.code === 'ELOOP');
  });

  test('missing and non-directory components', async () => {
    await assert.rejects(resolve(tree(), '/nope/x'), (e: unknown) => e instanceof ScopedPathError && e.code === 'ENOENT');
    await assert.rejects(resolve(tree(), '/tmp/file/x'), (e: unknown) => e instanceof ScopedPathError && e.code === 'ENOTDIR');
    await assert.rejects(resolve(tree(), '/tmp/tofile/x'), (e: unknown) => e instanceof ScopedPathError && e.code === 'ENOTDIR');
    await assert.rejects(resolve(tree(), '/tmp/file/'), (e: unknown) => e instanceof ScopedPathError && e.code === 'ENOTDIR');
    const last = await resolve(tree(), '/tmp/new');
    assert.equal(last.kind.type, 'missing');
    assert.equal(last.path, '/tmp/new');
    assert.equal(last.cwd, '/tmp');
  });

  test('lexical mode resolves what is missing as plain names (a broken link target)', async () => {
    const r = await resolve(tree(), '/tmp/broken', true, 'lexical');
    assert.equal(r.path, '/nowhere/x');
    assert.equal(r.positioned, false);
    assert.equal((await resolve(tree(), '/a/b/../c', true, 'lexical')).path, '/a/c');
  });

  test('mkdir mode creates missing directories, inside the root', async () => {
    const t = tree();
    const r = await resolve(t, '/tmp/evil/new/deeper/file', false, 'mkdir');
    assert.equal(r.path, '/etc/new/deeper/file');
    assert.deepEqual(r.walker.mkdirs, ['/etc/new', '/etc/new/deeper']);
    assert.equal(r.cwd, '/etc/new/deeper');
  });

  test('a path ending in .. is positioned in the parent of its result', async () => {
    const r = await resolve(tree(), '/etc/../tmp/..');
    assert.equal(r.path, '/');
    const r2 = await resolve(tree(), '/var/run/..');
    assert.equal(r2.path, '/');
    const r3 = await resolve(tree(), '/tmp/evil/..');
    assert.equal(r3.path, '/');
  });

  test('cleanScoped is a lexical clean that stops at /', () => {
    assert.equal(cleanScoped('../../etc//passwd/.'), '/etc/passwd');
    assert.equal(cleanScoped(''), '/');
    assert.equal(cleanScoped('a/b/../c'), '/a/c');
  });
});
