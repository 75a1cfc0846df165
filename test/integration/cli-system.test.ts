/**
 * berth update, events, system df and system prune against a real berthd, through
 * bin/berth: what the daemon ends up with and what the CLI prints.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { loadBusybox } from '../helpers/busybox.js';
import { berthBin, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;

function berth(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(berthBin, ['-H', d.host, ...args], opts);
}

/** Runs a container to completion through the API; returns its ID. */
async function runToExit(name: string, cmd: string[]): Promise<string> {
  const c = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd });
  assert.equal(c.status, 201, c.body);
  const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=next-exit`);
  await d.api('POST', `/containers/${c.json.Id}/start`);
  await w;
  return c.json.Id;
}

describe('berth update, events, system df and system prune with a real daemon', () => {
  before(async () => {
    d = await startTestDaemon('cli-system');
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('update changes limits and the restart policy, leaves what it was not given, reports failures', async () => {
    const r = await berth(['run', '-d', '--name', 'sys-upd', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const u = await berth(['update', '--memory', '64m', '--pids-limit', '30', '--cpus', '0.5', '--restart', 'on-failure:2', 'sys-upd']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, 'sys-upd\n');
    let hc = (await d.api('GET', '/containers/sys-upd/json')).json.HostConfig;
    assert.equal(hc.Memory, 64 * 1024 * 1024);
    assert.equal(hc.PidsLimit, 30);
    assert.equal(hc.NanoCpus, 500_000_000);
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });

    // Another flag alone keeps the rest, restart policy included.
    const again = await berth(['container', 'update', '--cpu-shares', '512', 'sys-upd']);
    assert.equal(again.code, 0, again.stderr);
    hc = (await d.api('GET', '/containers/sys-upd/json')).json.HostConfig;
    assert.equal(hc.CpuShares, 512);
    assert.equal(hc.Memory, 64 * 1024 * 1024);
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });

    const bad = await berth(['update', '--memory', '64m', 'sys-upd', 'sys-nosuch']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, 'sys-upd\n');
    assert.equal(bad.stderr, 'Error response from daemon: No such container: sys-nosuch\n');
    const none = await berth(['update', 'sys-upd']);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'you must provide one or more flags when using this command\n');
    const swap = await berth(['update', '--memory', '64m', '--memory-swap', '32m', 'sys-upd']);
    assert.equal(swap.code, 1);
    assert.equal(swap.stderr, 'Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage\n');
    await berth(['rm', '-f', 'sys-upd']);
  });

  it('events --since/--until replays a container’s events in docker’s line format, or through a template', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const r = await berth(['run', '--rm', '--name', 'sys-events', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const until = new Date(Date.now() + 1000).toISOString();
    // Past the until time, so the daemon ends the stream.
    await new Promise((res) => setTimeout(res, 1100));
    const ev = await berth(['events', '--since', since, '--until', until, '--filter', 'container=sys-events'], { timeoutMs: 20_000 });
    assert.equal(ev.code, 0, ev.stderr);
    const lines = ev.stdout.trim().split('\n');
    for (const l of lines) {
      assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container [a-z_: ]+ [0-9a-f]{64} \((.+=.*)\)$/, l);
      assert.match(l, /\bname=sys-events\b/);
      // Attributes sorted by key.
      const keys = /\((.*)\)$/.exec(l)![1].split(', ').map((kv) => kv.split('=')[0]);
      assert.deepEqual(keys, [...keys].sort());
    }
    const actions = lines.map((l) => l.split(' ')[2]);
    assert.deepEqual(
      actions.filter((a) => ['create', 'start', 'die', 'destroy'].includes(a)),
      ['create', 'start', 'die', 'destroy'],
    );
    const t = await berth(['system', 'events', '--since', since, '--until', until, '-f', 'container=sys-events', '-f', 'event=die', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}}']);
    assert.equal(t.stdout, 'die 0 sys-events\n');
    const j = await berth(['events', '--since', since, '--until', until, '-f', 'container=sys-events', '-f', 'event=start', '--format', 'json']);
    const msg = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(msg), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    assert.equal(msg.Action, 'start');
    const relative = await berth(['events', '--since', '5m', '--until', '0s', '-f', 'container=sys-events']);
    assert.equal(relative.stdout, ev.stdout);
  });

  it('system df shows the summary and, with -v, each image and container', async () => {
    await runToExit('sys-df', ['sh', '-c', 'head -c 300000 /dev/zero > /f']);
    const df = await berth(['system', 'df']);
    assert.equal(df.code, 0, df.stderr);
    const rows = df.stdout.split('\n');
    assert.equal(rows[0], 'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE');
    assert.match(rows[1], /^Images {10}1 {9}1 {9}\S+ +\S+ \(100%\)$/);
    assert.match(rows[2], /^Containers {6}1 {9}0 {9}(3\d\d(\.\d+)?kB) +\1 \(100%\)$/);
    assert.equal(rows[3], 'Local Volumes   0         0         0B        0B');
    assert.equal(rows[4], 'Build Cache     0         0         0B        0B');
    const v = await berth(['system', 'df', '-v']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\nbusybox +latest +[0-9a-f]{12} /);
    assert.match(v.stdout, /\nContainers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n[0-9a-f]{12} +busybox .* sys-df\n/);
    assert.match(v.stdout, /\nBuild cache usage: 0B\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n$/);
    const j = await berth(['system', 'df', '--format', 'json']);
    assert.deepEqual(Object.keys(JSON.parse(j.stdout.split('\n')[0])), ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type']);
  });

  it('system prune -f removes stopped containers and dangling images, keeps running ones, and totals the space', async () => {
    const stopped = await runToExit('sys-prune-stopped', ['sh', '-c', 'head -c 100000 /dev/zero > /f']);
    const r = await berth(['run', '-d', '--name', 'sys-prune-running', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    // Two commits under one tag leave the first image dangling (skipped without commit).
    const c1 = await d.api('POST', `/commit?container=${stopped}&repo=sys-prune-img&tag=1`);
    const dangling = c1.status === 201 ? c1.json.Id : undefined;
    if (dangling) assert.equal((await d.api('POST', `/commit?container=${stopped}&repo=sys-prune-img&tag=1`)).status, 201);

    const no = await berth(['system', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.match(no.stdout, /^WARNING! This will remove:\n {2}- all stopped containers\n[\s\S]*Are you sure you want to continue\? \[y\/N\] $/);
    assert.equal((await d.api('GET', `/containers/${stopped}/json`)).status, 200);

    const p = await berth(['system', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(p.stdout.startsWith('Deleted Containers:\n'), p.stdout);
    assert.ok(p.stdout.includes(`\n${stopped}\n`), p.stdout);
    if (dangling) assert.match(p.stdout, new RegExp(`\\nDeleted Images:\\n(?:.*\\n)*deleted: ${dangling}\\n`));
    assert.match(p.stdout, /\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
    assert.equal((await d.api('GET', `/containers/${stopped}/json`)).status, 404);
    assert.equal((await d.api('GET', '/containers/sys-prune-running/json')).json.State.Running, true);
    assert.equal((await d.api('GET', '/images/busybox/json')).status, 200);

    const again = await berth(['system', 'prune', '-f']);
    assert.equal(again.stdout, 'Total reclaimed space: 0B\n');
    await berth(['rm', '-f', 'sys-prune-running']);
  });
});
