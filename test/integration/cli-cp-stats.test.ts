/**
 * The berth CLI's cp, diff, commit, export and stats against a real berthd, with the
 * outputs docker prints.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthBin, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;
let work: string;

function berth(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(berthBin, args, { env: { BERTH_HOST: d.host, DOCKER_HOST: '' }, timeoutMs: 60_000, input });
}

async function ok(...args: string[]): Promise<string> {
  const r = await berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('berth cp, diff, commit, export, stats', () => {
  before(async () => {
    d = await startTestDaemon('cli-cp-stats');
    await loadBusybox(d);
    work = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-cp-'));
    await ok('run', '-d', '--name', 'box', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir -p /srv/site && echo hello > /srv/site/index.html && ln -s /etc /srv/etc-link && sleep 600');
    for (let i = 0; i < 30 && (await berth(['exec', 'box', 'test', '-e', '/srv/etc-link'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => {
    await d?.cleanup();
    await fsp.rm(work, { recursive: true, force: true });
  });

  test('cp both ways: files, directories, renames, links', async () => {
    await ok('cp', 'box:/srv/site/index.html', path.join(work, 'page.html'));
    assert.equal(await fsp.readFile(path.join(work, 'page.html'), 'utf8'), 'hello\n');
    await ok('cp', 'box:/srv/site', path.join(work, 'site'));
    assert.equal(await fsp.readFile(path.join(work, 'site/index.html'), 'utf8'), 'hello\n');
    await ok('cp', 'box:/srv/etc-link', path.join(work, 'link'));
    assert.equal(await fsp.readlink(path.join(work, 'link')), '/etc');
    await ok('cp', '-L', 'box:/srv/etc-link', path.join(work, 'etc-copy'));
    assert.ok((await fsp.readdir(path.join(work, 'etc-copy'))).includes('passwd'));
    await fsp.writeFile(path.join(work, 'site/new.html'), 'new\n');
    await ok('cp', path.join(work, 'site'), 'box:/srv/site2');
    assert.equal(await ok('exec', 'box', 'cat', '/srv/site2/new.html'), 'new\n');
    await ok('cp', path.join(work, 'page.html'), 'box:/srv/etc-link/');
    assert.equal(await ok('exec', 'box', 'cat', '/etc/page.html'), 'hello\n');
    const tar = await run('sh', ['-c', `${berthBin} cp box:/srv/site - | tar -tf -`], { env: { BERTH_HOST: d.host } });
    assert.deepEqual(tar.stdout.trim().split('\n').sort(), ['site/', 'site/index.html']);
    const missing = await berth(['cp', 'box:/nope', work]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: Could not find the file /nope in container box\n');
    const both = await berth(['cp', 'box:/a', 'box:/b']);
    assert.equal(both.stderr, 'copying between containers is not supported\n');
    const none = await berth(['cp', 'a', 'b']);
    assert.equal(none.stderr, 'must specify at least one container source\n');
  });

  test('diff, commit, export', async () => {
    await ok('exec', 'box', 'sh', '-c', 'rm /etc/group; echo x > /root/added');
    const diff = (await ok('diff', 'box')).trim().split('\n');
    for (const line of ['D /etc/group', 'C /root', 'A /root/added', 'A /srv', 'A /srv/site/index.html']) assert.ok(diff.includes(line), `${line} in\n${diff.join('\n')}`);
    const id = (await ok('commit', '-m', 'cli commit', '-c', 'ENV COMMITTED=1', 'box', 'clicommit:latest')).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok('run', '--rm', '--network', 'none', 'clicommit', 'sh', '-c', 'echo $COMMITTED; cat /root/added'), '1\nx\n');
    await ok('export', '-o', path.join(work, 'box.tar'), 'box');
    const list = await run('tar', ['-tf', path.join(work, 'box.tar')]);
    assert.ok(list.stdout.split('\n').includes('root/added'));
  });

  test('stats --no-stream, --format', async () => {
    const table = await ok('stats', '--no-stream');
    assert.match(table, /^CONTAINER ID {3}NAME {6}CPU % {5}MEM USAGE \/ LIMIT {3}MEM % {5}NET I\/O {3}BLOCK I\/O {3}PIDS\n/);
    assert.match(table, /\n[0-9a-f]{12} {3}box {7}\d+\.\d\d% /);
    const fmt = await ok('stats', '--no-stream', '--format', 'table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}', 'box');
    assert.match(fmt, /^CONTAINER {3}CPU % {5}MEM USAGE \/ LIMIT\nbox {9}\d+\.\d\d% +[\d.]+[KMG]?i?B \/ [\d.]+GiB\n$/);
    const bad = await berth(['stats', '--no-stream', 'nosuch']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such container: nosuch/);
  });
});
