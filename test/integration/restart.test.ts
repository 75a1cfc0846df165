import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('restart policies', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon('restart');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  async function until(id: string, pred: (s: any, c: any) => boolean, ms = 8000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const c = (await d.api('GET', `/containers/${id}/json`)).json;
      if (pred(c.State, c)) return c;
      if (Date.now() > end) throw new Error(`timed out; last state ${JSON.stringify(c.State)} count ${c.RestartCount}`);
      await sleep(50);
    }
  }

  test('on-failure:2 restarts exactly twice', async () => {
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'exit 3'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    const final = await until(c.json.Id, (s, x) => s.Status === 'exited' && x.RestartCount === 2);
    assert.equal(final.State.ExitCode, 3);
    await sleep(1000);
    const later = (await d.api('GET', `/containers/${c.json.Id}/json`)).json;
    assert.equal(later.RestartCount, 2);
    assert.equal(later.State.Status, 'exited');
  });

  test('always restarts until docker stop, which stops it for good', async () => {
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.2'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    await until(c.json.Id, (_s, x) => x.RestartCount >= 2);
    assert.equal((await d.api('POST', `/containers/${c.json.Id}/stop?t=1`)).status, 204);
    const after = await until(c.json.Id, (s) => s.Status === 'exited');
    await sleep(800);
    const later = (await d.api('GET', `/containers/${c.json.Id}/json`)).json;
    assert.equal(later.State.Status, 'exited');
    assert.equal(later.RestartCount, after.RestartCount);
  });

  test('on daemon start, always and unless-stopped containers come back; stopped unless-stopped ones do not', async () => {
    const mk = async (policy: string, cmd: string[]): Promise<string> => {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: cmd, HostConfig: { RestartPolicy: { Name: policy } } });
      await d.api('POST', `/containers/${c.json.Id}/start`);
      return c.json.Id;
    };
    const always = await mk('always', ['sleep', '60']);
    const unless = await mk('unless-stopped', ['sleep', '60']);
    const stoppedUnless = await mk('unless-stopped', ['sleep', '60']);
    await d.api('POST', `/containers/${stoppedUnless}/stop?t=0`);
    await d.api('POST', `/containers/${always}/stop?t=0`);
    // Kill the tasks of the running one behind berthd's back while it is down.
    const pid = (await d.api('GET', `/containers/${unless}/json`)).json.State.Pid;
    await d.kill9();
    process.kill(pid, 'SIGKILL');
    await sleep(500);
    await d.restart();
    await until(always, (s) => s.Running && !s.Restarting);
    await until(unless, (s) => s.Running && !s.Restarting && s.Pid !== pid);
    await sleep(500);
    assert.equal((await d.api('GET', `/containers/${stoppedUnless}/json`)).json.State.Status, 'exited');
  });
});
