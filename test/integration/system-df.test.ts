import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

describe('system df and container prune', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon('sysdf');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  test('df counts images, containers and their sizes; prune removes stopped ones only', async () => {
    const mk = async (cmd: string[], labels: Record<string, string> = {}): Promise<string> => {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: cmd, Labels: labels });
      const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=next-exit`);
      await d.api('POST', `/containers/${c.json.Id}/start`);
      if (cmd[0] !== 'sleep') await w;
      return c.json.Id;
    };
    const stopped = await mk(['sh', '-c', 'head -c 5000 /dev/zero > /f']);
    const kept = await mk(['true'], { keep: 'yes' });
    const running = await mk(['sleep', '60']);
    const df = await d.api('GET', '/system/df');
    assert.equal(df.status, 200);
    assert.ok(df.json.LayersSize > 0);
    assert.equal(df.json.Images.length, 1);
    assert.equal(df.json.Images[0].Containers, 3);
    const c = df.json.Containers.find((x: { Id: string }) => x.Id === stopped);
    assert.equal(c.SizeRw, 5000);
    const pr = await d.api('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ 'label!': ['keep=yes'] }))}`);
    assert.equal(pr.status, 200);
    assert.deepEqual(pr.json.ContainersDeleted, [stopped]);
    assert.equal(pr.json.SpaceReclaimed, 5000);
    const left = (await d.api('GET', '/containers/json?all=1')).json.map((x: { Id: string }) => x.Id).sort();
    assert.deepEqual(left, [kept, running].sort());
    const bad = await d.api('POST', `/containers/prune?filters=${encodeURIComponent('{"status":["exited"]}')}`);
    assert.equal(bad.status, 400);
  });
});
