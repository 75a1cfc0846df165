import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDecision, startsWithDaemon } from '../../src/engine/containers/restart-policy.js';

test('restart decisions follow Docker policies', () => {
  const p = (Name: string, MaximumRetryCount = 0) => ({ Name, MaximumRetryCount });
  assert.equal(restartDecision(p('no'), 1, 0, false, 0, 0).restart, false);
  assert.equal(restartDecision(p('always'), 0, 5, false, 0, 0).restart, true);
  assert.equal(restartDecision(p('always'), 0, 0, true, 0, 0).restart, false);
  assert.equal(restartDecision(p('unless-stopped'), 0, 0, false, 0, 0).restart, true);
  assert.equal(restartDecision(p('on-failure'), 0, 0, false, 0, 0).restart, false);
  assert.equal(restartDecision(p('on-failure', 2), 1, 0, false, 0, 0).restart, true);
  assert.equal(restartDecision(p('on-failure', 2), 1, 1, false, 0, 0).restart, true);
  assert.equal(restartDecision(p('on-failure', 2), 1, 2, false, 0, 0).restart, false);
  assert.equal(restartDecision(p('on-failure'), 3, 99, false, 0, 0).restart, true);
});

test('back-off doubles from 100 ms up to a minute, and resets after a 10 s run', () => {
  const p = { Name: 'always', MaximumRetryCount: 0 };
  assert.equal(restartDecision(p, 0, 0, false, 50, 0).delay, 100);
  assert.equal(restartDecision(p, 0, 0, false, 50, 100).delay, 200);
  assert.equal(restartDecision(p, 0, 0, false, 50, 40_000).delay, 60_000);
  assert.equal(restartDecision(p, 0, 0, false, 12_000, 40_000).delay, 100);
});

test('daemon start brings back always, unless-stopped (not stopped by hand) and failing on-failure', () => {
  assert.equal(startsWithDaemon({ Name: 'always', MaximumRetryCount: 0 }, 0, 0, true), true);
  assert.equal(startsWithDaemon({ Name: 'unless-stopped', MaximumRetryCount: 0 }, 0, 0, true), false);
  assert.equal(startsWithDaemon({ Name: 'unless-stopped', MaximumRetryCount: 0 }, 0, 0, false), true);
  assert.equal(startsWithDaemon({ Name: 'on-failure', MaximumRetryCount: 1 }, 1, 1, false), false);
  assert.equal(startsWithDaemon({ Name: 'no', MaximumRetryCount: 0 }, 1, 0, false), false);
});
