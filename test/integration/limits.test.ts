import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

describe('resource limits', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon('limits');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  async function run(body: Record<string, unknown>): Promise<{ id: string; code: number }> {
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', ...body });
    assert.equal(c.status, 201, c.body);
    const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=next-exit`);
    const s = await d.api('POST', `/containers/${c.json.Id}/start`);
    assert.equal(s.status, 204, s.body);
    return { id: c.json.Id, code: (await w).json.StatusCode };
  }

  test('a --memory 32m container that allocates more is OOM-killed and says so', async () => {
    const t0 = Date.now() / 1000;
    const { id, code } = await run({ Cmd: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], HostConfig: { Memory: 32 * 1024 * 1024 } });
    assert.equal(code, 137);
    const st = (await d.api('GET', `/containers/${id}/json`)).json.State;
    assert.equal(st.OOMKilled, true);
    const ev = await d.api('GET', `/events?since=${t0}&until=${Date.now() / 1000}&filters=${encodeURIComponent(JSON.stringify({ event: ['oom'] }))}`);
    assert.match(ev.body, /"Action":"oom"/);
  });

  test('--pids-limit holds', async () => {
    const logs = async (id: string): Promise<string> => (await d.api('GET', `/containers/${id}/logs?stdout=1&stderr=1`)).body;
    const cmd = ['sh', '-c', 'for i in $(seq 20); do sleep 1 & done; echo all-started'];
    const limited = await run({ Cmd: cmd, HostConfig: { PidsLimit: 10 } });
    assert.notEqual(limited.code, 0);
    const out = await logs(limited.id);
    assert.match(out, /can't fork/);
    assert.doesNotMatch(out, /all-started/);
    const free = await run({ Cmd: cmd });
    assert.equal(free.code, 0);
    assert.match(await logs(free.id), /all-started/);
  });

  test('cpu and memory limits reach the cgroup; update changes them live', async () => {
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000 } });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    const cg = (f: string): Promise<string> => import('node:fs/promises').then((fs) => fs.readFile(f, 'utf8')).then((t) => t.trim());
    const id = c.json.Id;
    const v1 = '/sys/fs/cgroup/memory/berth/' + id + '/memory.limit_in_bytes';
    const onV1 = await cg(v1).then(() => true, () => false);
    if (onV1) {
      assert.equal(await cg(v1), String(64 * 1024 * 1024));
      assert.equal(await cg('/sys/fs/cgroup/cpu/berth/' + id + '/cpu.cfs_quota_us'), '50000');
    }
    const u = await d.api('POST', `/containers/${id}/update`, { Memory: 128 * 1024 * 1024, MemorySwap: 256 * 1024 * 1024, RestartPolicy: { Name: 'unless-stopped' } });
    assert.equal(u.status, 200, u.body);
    if (onV1) assert.equal(await cg(v1), String(128 * 1024 * 1024));
    const insp = (await d.api('GET', `/containers/${id}/json`)).json;
    assert.equal(insp.HostConfig.Memory, 128 * 1024 * 1024);
    assert.equal(insp.HostConfig.RestartPolicy.Name, 'unless-stopped');
    const bad = await d.api('POST', `/containers/${id}/update`, { Memory: 1024 });
    assert.equal(bad.status, 400);
    await d.api('DELETE', `/containers/${id}?force=1`);
  });

  test('bad limits are refused at create', async () => {
    const tooSmall = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Memory: 1024 } });
    assert.equal(tooSmall.status, 400);
    assert.match(tooSmall.json.message, /Minimum memory limit allowed is 6MB/);
    const negative = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { CpuShares: -5 } });
    assert.equal(negative.status, 400);
  });
});
