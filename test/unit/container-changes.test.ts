import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeChanges, containerChanges, isPlumbing, type Change } from '../../src/engine/containers/container-changes.js';
import type { LowerEntry, TreeEntry } from '../../src/drivers/storage/upper-dir.js';
import { daemonEnvironment, execErrorCode, replaceOrAppendEnv } from '../../src/engine/containers/container-exec.js';
import { runtimeExecError } from '../../src/drivers/runtime/conmon-exec.js';
import { mergeConfig } from '../../src/engine/containers/container-commit.js';

const dir = (p: string, mode = 0o40755): TreeEntry => ({ path: p, kind: 'dir', mode, uid: 0, gid: 0 });
const file = (p: string): TreeEntry => ({ path: p, kind: 'file', mode: 0o100644, uid: 0, gid: 0 });
const wh = (p: string): TreeEntry => ({ path: p, kind: 'whiteout', mode: 0o20000, uid: 0, gid: 0 });
const L = (kind: LowerEntry['kind'], mode = kind === 'dir' ? 0o40755 : 0o100644): LowerEntry => ({ kind, mode, uid: 0, gid: 0 });

function show(changes: Change[]): string[] {
  return changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}`);
}

describe('docker diff from an upper dir', () => {
  test('added, changed, deleted; parents of changes are C; runtime mount points are hidden', () => {
    const upper = [
      dir('/etc'),
      file('/etc/hosts'),
      file('/etc/hostname'),
      file('/etc/resolv.conf'),
      file('/etc/passwd'),
      wh('/etc/group'),
      dir('/proc'),
      dir('/sys'),
      dir('/dev'),
      dir('/usr'),
      dir('/usr/share'),
      dir('/usr/share/doc'),
      file('/usr/share/doc/new.txt'),
      dir('/newdir'),
      dir('/newdir/sub'),
      file('/newdir/sub/f'),
      dir('/tmp', 0o41777),
    ];
    const lower = new Map<string, LowerEntry | undefined>([
      ['/etc', L('dir')],
      ['/etc/hosts', L('file')],
      ['/etc/passwd', L('file')],
      ['/etc/group', L('file')],
      ['/usr', L('dir')],
      ['/usr/share', L('dir')],
      ['/usr/share/doc', L('dir')],
      ['/tmp', L('dir', 0o41777)],
    ]);
    const changes = computeChanges({ upper, lower, opaque: new Set(), lowerChildren: new Map() });
    assert.deepEqual(show(changes), [
      'C /etc',
      'D /etc/group',
      'C /etc/passwd',
      'A /newdir',
      'A /newdir/sub',
      'A /newdir/sub/f',
      'C /usr',
      'C /usr/share',
      'C /usr/share/doc',
      'A /usr/share/doc/new.txt',
    ]);
    assert.deepEqual(changes[0], { Path: '/etc', Kind: 0 });
    assert.deepEqual(changes[1], { Path: '/etc/group', Kind: 2 });
    assert.deepEqual(changes[3], { Path: '/newdir', Kind: 1 });
  });

  test('an opaque directory deletes what the image had in it; a mode change is C', () => {
    const upper = [dir('/home'), dir('/srv', 0o40700), dir('/var'), dir('/var/www'), file('/var/www/index.html')];
    const lower = new Map<string, LowerEntry | undefined>([
      ['/home', L('dir')],
      ['/srv', L('dir')],
      ['/var', L('dir')],
      ['/var/www', L('dir')],
      ['/var/www/index.html', L('file')],
    ]);
    const changes = computeChanges({
      upper,
      lower,
      opaque: new Set(['/home', '/var/www']),
      lowerChildren: new Map([
        ['/home', ['alice', 'bob']],
        ['/var/www', ['index.html', 'old.css']],
      ]),
    });
    // index.html under an opaque dir is new content, not the image's file.
    assert.deepEqual(show(changes), ['C /home', 'D /home/alice', 'D /home/bob', 'C /srv', 'C /var', 'C /var/www', 'A /var/www/index.html', 'D /var/www/old.css']);
  });

  test('a whiteout of something the image never had is no change', () => {
    assert.deepEqual(computeChanges({ upper: [wh('/ghost')], lower: new Map([['/ghost', undefined]]), opaque: new Set(), lowerChildren: new Map() }), []);
  });

  test('plumbing paths', () => {
    assert.ok(isPlumbing('/etc/hosts'));
    assert.ok(isPlumbing('/dev/shm/x'));
    assert.ok(!isPlumbing('/etc/hosts.allow'));
    assert.ok(!isPlumbing('/devices'));
  });

  test('an upper dir on disk: whiteout devices and opaque xattrs (root only)', { skip: process.getuid?.() !== 0 }, async (t) => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-changes-'));
    try {
      const lowerDir = path.join(base, 'lower');
      const upper = path.join(base, 'upper');
      for (const d of ['etc', 'home/alice', 'usr/bin']) await fsp.mkdir(path.join(lowerDir, d), { recursive: true });
      await fsp.writeFile(path.join(lowerDir, 'etc/passwd'), 'a');
      await fsp.writeFile(path.join(lowerDir, 'etc/group'), 'g');
      await fsp.writeFile(path.join(lowerDir, 'usr/bin/tool'), 't');
      await fsp.mkdir(path.join(upper, 'etc'), { recursive: true });
      await fsp.mkdir(path.join(upper, 'home'), { recursive: true });
      await fsp.mkdir(path.join(upper, 'opt'), { recursive: true });
      await fsp.writeFile(path.join(upper, 'etc/passwd'), 'b');
      await fsp.writeFile(path.join(upper, 'opt/new'), 'n');
      assert.equal(spawnSync('mknod', [path.join(upper, 'etc/group'), 'c', '0', '0']).status, 0);
      // A second whiteout sharing the first one's inode, as overlayfs makes them.
      await fsp.mkdir(path.join(upper, 'usr/bin'), { recursive: true });
      await fsp.link(path.join(upper, 'etc/group'), path.join(upper, 'usr/bin/tool'));
      // Node cannot set xattrs; python3 can (the pure tests cover opaque dirs where it cannot).
      const setfattr = spawnSync('python3', ['-c', `import os; os.setxattr('${path.join(upper, 'home')}', 'trusted.overlay.opaque', b'y')`]);
      if (setfattr.status !== 0) {
        t.skip('python3 is needed to set trusted.overlay.opaque');
        return;
      }
      const changes = await containerChanges(upper, [lowerDir]);
      assert.deepEqual(show(changes), ['C /etc', 'D /etc/group', 'C /etc/passwd', 'C /home', 'D /home/alice', 'A /opt', 'A /opt/new', 'C /usr', 'C /usr/bin', 'D /usr/bin/tool']);
    } finally {
      await fsp.rm(base, { recursive: true, force: true });
    }
  });
});

describe('exec helpers', () => {
  test('exit codes for an exec that cannot start (dockerd’s rules)', () => {
    assert.equal(execErrorCode('OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown'), 127);
    assert.equal(execErrorCode('OCI runtime exec failed: exec failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown'), 126);
    assert.equal(execErrorCode('OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd ("/nope") set in config.json failed: no such file or directory: unknown'), 127);
    assert.equal(execErrorCode('unable to find user bob: no matching entries in passwd file'), 126);
  });

  test('runc’s logfmt error becomes dockerd’s message', () => {
    const raw = 'time="2026-11-23T17:53:35Z" level=error msg="exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"\n';
    assert.equal(runtimeExecError(raw), 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown');
  });

  test('the exec environment: PATH if missing, HOSTNAME, TERM with a tty, then the container’s and the exec’s', () => {
    const rec = { Config: { Env: ['FOO=1', 'BAR=2'], Hostname: 'abc' } } as never;
    assert.deepEqual(daemonEnvironment(rec, true), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abc', 'TERM=xterm', 'FOO=1', 'BAR=2']);
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A']), ['B=3', 'C=4']);
  });
});

describe('commit config merge', () => {
  test('what the new config leaves unset comes from the container', () => {
    const merged = mergeConfig({ Cmd: ['new'], Env: ['A=2'] }, { Cmd: ['old'], Env: ['A=1', 'B=1'], User: 'www', WorkingDir: '/srv', Labels: { x: '1' } });
    assert.deepEqual(merged.Cmd, ['new']);
    assert.deepEqual(merged.Env, ['A=2', 'B=1']);
    assert.equal(merged.User, 'www');
    assert.equal(merged.WorkingDir, '/srv');
    assert.deepEqual(merged.Labels, { x: '1' });
  });
});
