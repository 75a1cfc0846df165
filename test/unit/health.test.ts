import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyResult, healthSettings, probeCommand } from '../../src/engine/containers/health-monitor.js';

test('probe commands from HEALTHCHECK forms', () => {
  assert.deepEqual(probeCommand(['CMD', 'curl', '-f', 'x']), ['curl', '-f', 'x']);
  assert.deepEqual(probeCommand(['CMD-SHELL', 'test -f /x']), ['/bin/sh', '-c', 'test -f /x']);
  assert.equal(probeCommand(['NONE']), undefined);
  assert.equal(probeCommand(undefined), undefined);
});

test('results: retries, start period, recovery', () => {
  const r = (code: number) => ({ Start: 's', End: 'e', ExitCode: code, Output: '' });
  let h = { Status: 'starting' as const, FailingStreak: 0, Log: [] } as any;
  ({ health: h } = applyResult(h, r(1), 2, true));
  assert.equal(h.Status, 'starting');
  assert.equal(h.FailingStreak, 0);
  ({ health: h } = applyResult(h, r(1), 2, false));
  assert.equal(h.FailingStreak, 1);
  let changed;
  ({ health: h, changed } = applyResult(h, r(1), 2, false));
  assert.equal(h.Status, 'unhealthy');
  assert.equal(changed, true);
  ({ health: h, changed } = applyResult(h, r(0), 2, false));
  assert.equal(changed, true);
  assert.equal(h.Status, 'healthy');
  assert.equal(h.FailingStreak, 0);
  for (let i = 0; i < 7; i++) ({ health: h } = applyResult(h, r(0), 2, false));
  assert.equal(h.Log.length, 5);
});

test('settings default like Docker (30s interval and timeout, 3 retries)', () => {
  assert.deepEqual(healthSettings(undefined), { interval: 30_000, timeout: 30_000, startPeriod: 0, retries: 3 });
  assert.equal(healthSettings({ Interval: 2e9 }).interval, 2000);
});
