import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampUlimits, validateUlimits } from '../../src/engine/containers/ulimits.js';
import { parseProcLimits } from '../../src/drivers/sys/host-limits.js';

const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max processes             95567                95567                processes
`;

test('/proc limits parse by docker name', () => {
  const l = parseProcLimits(limits);
  assert.equal(l.nofile, 524288);
  assert.equal(l.cpu, Infinity);
  assert.equal(l.nproc, 95567);
});

test('ulimits above the host hard limit are clamped with a warning', () => {
  const r = clampUlimits([{ Name: 'nofile', Soft: 2048, Hard: 1_000_000 }, { Name: 'nproc', Soft: 10, Hard: 20 }], parseProcLimits(limits));
  assert.deepEqual(r.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 2048, hard: 524288 },
    { type: 'RLIMIT_NPROC', soft: 10, hard: 20 },
  ]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /nofile=2048:1000000 .* clamped to 524288/);
});

test('bad ulimits are refused like Docker', () => {
  assert.throws(() => validateUlimits([{ Name: 'nofiles', Soft: 1, Hard: 1 }]), /invalid ulimit type: nofiles/);
  assert.throws(() => validateUlimits([{ Name: 'nofile', Soft: 5, Hard: 1 }]), /soft limit must be less than or equal to hard limit: 5 > 1/);
});
