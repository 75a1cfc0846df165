import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

describe('GET /events', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon('events');
    await loadBusybox(d);
  });
  after(async () => d?.cleanup());

  test('since/until replay a container life; filters narrow it', async () => {
    const t0 = Date.now() / 1000;
    const c = await d.api('POST', '/containers/create?name=ev1', { Image: 'busybox', Cmd: ['true'] });
    const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=next-exit`);
    await d.api('POST', `/containers/${c.json.Id}/start`);
    await w;
    await d.api('DELETE', `/containers/${c.json.Id}`);
    const t1 = Date.now() / 1000 + 0.01;
    const r = await d.api('GET', `/events?since=${t0}&until=${t1}&filters=${encodeURIComponent(JSON.stringify({ container: ['ev1'] }))}`);
    assert.equal(r.status, 200);
    const evs = r.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(evs.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
    assert.equal(evs[2].Actor.Attributes.exitCode, '0');
    assert.equal(evs[0].Actor.Attributes.name, 'ev1');
    assert.equal(evs[0].Type, 'container');
    const only = await d.api('GET', `/events?since=${t0}&until=${t1}&filters=${encodeURIComponent(JSON.stringify({ event: ['die'] }))}`);
    assert.equal(only.body.trim().split('\n').length, 1);
    const bad = await d.api('GET', `/events?filters=${encodeURIComponent('{"bogus":["x"]}')}`);
    assert.equal(bad.status, 400);
  });

  test('a live stream sees new events as they happen', async () => {
    const got: string[] = [];
    const req = http.request({ socketPath: d.socket, path: '/events?filters=' + encodeURIComponent(JSON.stringify({ type: ['container'] })) });
    const seen = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            got.push(JSON.parse(buf.slice(0, nl)).Action);
            buf = buf.slice(nl + 1);
            if (got.includes('create')) resolve();
          }
        });
      });
    });
    req.end();
    await new Promise((r) => setTimeout(r, 200));
    const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
    await seen;
    req.destroy();
    assert.ok(got.includes('create'));
    await d.api('DELETE', `/containers/${c.json.Id}`);
  });
});
