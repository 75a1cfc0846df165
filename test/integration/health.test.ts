import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = 1_000_000;

describe('health checks', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon('health');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  async function until(id: string, status: string, timeout = 10_000): Promise<any> {
    const end = Date.now() + timeout;
    for (;;) {
      const c = (await d.api('GET', `/containers/${id}/json`)).json;
      if (c.State.Health?.Status === status) return c;
      if (Date.now() > end) throw new Error(`health never became ${status}: ${JSON.stringify(c.State.Health)}`);
      await sleep(100);
    }
  }

  test('starting → healthy, with the log, the ps status and an event', async () => {
    const t0 = Date.now() / 1000;
    const c = await d.api('POST', '/containers/create?name=hc-ok', {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'sleep 0.5; touch /ready; sleep 60'],
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /ready && echo fine'], Interval: 200 * ms, Timeout: 2000 * ms, Retries: 3 },
    });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    assert.equal((await d.api('GET', `/containers/${c.json.Id}/json`)).json.State.Health.Status, 'starting');
    const healthy = await until(c.json.Id, 'healthy');
    const last = healthy.State.Health.Log.at(-1);
    assert.equal(last.ExitCode, 0);
    assert.equal(last.Output, 'fine\n');
    const ps = (await d.api('GET', '/containers/json')).json.find((x: { Id: string }) => x.Id === c.json.Id);
    assert.match(ps.Status, /^Up .* \(healthy\)$/);
    const ev = await d.api('GET', `/events?since=${t0}&until=${Date.now() / 1000}&filters=${encodeURIComponent(JSON.stringify({ event: ['health_status'] }))}`);
    assert.match(ev.body, /"Action":"health_status: healthy"/);
    await d.api('DELETE', `/containers/${c.json.Id}?force=1`);
  });

  test('a failing check turns unhealthy after the retries; NONE disables the image check', async () => {
    const c = await d.api('POST', '/containers/create', {
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      Healthcheck: { Test: ['CMD', 'false'], Interval: 100 * ms, Retries: 2 },
    });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    const bad = await until(c.json.Id, 'unhealthy');
    assert.ok(bad.State.Health.FailingStreak >= 2);
    const none = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '60'], Healthcheck: { Test: ['NONE'] } });
    await d.api('POST', `/containers/${none.json.Id}/start`);
    await sleep(300);
    assert.equal((await d.api('GET', `/containers/${none.json.Id}/json`)).json.State.Health, undefined);
  });

  test('a check that hangs times out', async () => {
    const c = await d.api('POST', '/containers/create', {
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      Healthcheck: { Test: ['CMD', 'sleep', '30'], Interval: 100 * ms, Timeout: 300 * ms, Retries: 1 },
    });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    const bad = await until(c.json.Id, 'unhealthy');
    assert.match(bad.State.Health.Log.at(-1).Output, /exceeded timeout/);
  });
});
