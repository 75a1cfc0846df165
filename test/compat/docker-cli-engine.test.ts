/**
 * The real docker CLI against berthd for issue 4's engine features: restart policies,
 * health checks, OOM kills, events, system df and prune. Skipped without `docker`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

const skip = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'the docker CLI is not on the PATH';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('docker CLI: restart, health, OOM, events, system', { skip }, () => {
  let d: TestDaemon;
  const docker = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    run('docker', args, { env: { DOCKER_HOST: d.host, DOCKER_CLI_HINTS: 'false' }, timeoutMs: 60_000 });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const poll = async (fn: () => Promise<boolean>, ms = 15_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(150);
    }
  };

  before(async () => {
    d = await startTestDaemon('compat-engine');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  it('--restart on-failure:2 restarts exactly twice', async () => {
    await ok('run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3');
    await poll(async () => (await ok('inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'flaky')) === 'exited 2');
    await sleep(1500);
    assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', 'flaky'), 'exited 2 3');
  });

  it('health goes starting → healthy, and unhealthy for a failing check; ps shows it', async () => {
    await ok('run', '-d', '--name', 'hc-good', '--health-cmd', 'test -f /tmp/ready', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sh', '-c', 'sleep 1; touch /tmp/ready; sleep 60');
    assert.equal(await ok('inspect', '-f', '{{.State.Health.Status}}', 'hc-good'), 'starting');
    await poll(async () => (await ok('inspect', '-f', '{{.State.Health.Status}}', 'hc-good')) === 'healthy');
    assert.match(await ok('ps', '--filter', 'name=hc-good', '--format', '{{.Status}}'), /^Up .* \(healthy\)$/);
    await ok('run', '-d', '--name', 'hc-bad', '--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '2', 'busybox', 'sleep', '60');
    await poll(async () => (await ok('inspect', '-f', '{{.State.Health.Status}}', 'hc-bad')) === 'unhealthy');
    assert.match(await ok('ps', '--filter', 'name=hc-bad', '--format', '{{.Status}}'), /\(unhealthy\)$/);
  });

  it('a --memory 32m container that allocates more ends with OOMKilled=true', async () => {
    const r = await docker('run', '--name', 'hog', '--memory', '32m', 'busybox', 'sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived');
    assert.equal(r.code, 137);
    assert.equal(await ok('inspect', '-f', '{{.State.OOMKilled}}', 'hog'), 'true');
  });

  it('--pids-limit holds', async () => {
    const r = await docker('run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'for i in $(seq 20); do sleep 1 & done; echo all-started');
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /all-started/);
    assert.match(r.stderr + r.stdout, /can't fork/);
  });

  it('events --since lists create/start/die', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await ok('run', '--name', 'evt', 'busybox', 'true');
    const out = await ok('events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=evt', '--format', '{{.Action}}');
    assert.deepEqual(out.split('\n'), ['create', 'attach', 'start', 'die'].filter((a) => out.includes(a)));
    for (const a of ['create', 'start', 'die']) assert.ok(out.split('\n').includes(a), `${a} missing from:\n${out}`);
  });

  it('system df and system prune -f', async () => {
    const df = await ok('system', 'df');
    assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
    assert.match(df, /\nImages\s+1\s+1\s+/);
    assert.match(df, /\nContainers\s+\d+\s+\d+/);
    await ok('rm', '-f', 'hc-good', 'hc-bad');
    const before = (await ok('ps', '-aq')).split('\n').filter(Boolean).length;
    assert.ok(before >= 3);
    const prune = await ok('system', 'prune', '-f');
    assert.match(prune, /Deleted Containers:/);
    assert.match(prune, /Total reclaimed space:/);
    assert.equal(await ok('ps', '-aq'), '');
  });
});
