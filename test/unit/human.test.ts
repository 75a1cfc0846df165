import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../src/lib/errors.js';
import {
  bytesSize,
  containerStatusText,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  parseBytes,
  timeAgo,
  toEpochMs,
} from '../../src/lib/human.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (go-units HumanDuration)', () => {
  const cases: Array<[number, string]> = [
    [-5 * S, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [1999, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    // Hours are rounded: 1h29m is still "About an hour", 1h30m is "2 hours".
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H + 29 * M, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [13 * D + 23 * H, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D + 23 * H, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [3 * 365 * D + 10 * D, '3 years'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
  }
});

describe('timeAgo', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('accepts Docker timestamps with nanoseconds', () => {
    assert.equal(timeAgo('2024-05-01T11:58:00.123456789Z', now), 'About a minute ago');
    assert.equal(timeAgo('2024-05-01T11:57:59.999999999Z', now), '2 minutes ago');
  });
  it('accepts Date and epoch milliseconds', () => {
    assert.equal(timeAgo(new Date(now - 3 * D), now), '3 days ago');
    assert.equal(timeAgo(now - 500, now), 'Less than a second ago');
  });
  it('parses fractional seconds to the millisecond', () => {
    assert.equal(toEpochMs('2024-05-01T12:00:00.987654321Z'), now + 987);
    assert.equal(toEpochMs('2024-05-01T14:00:00.5+02:00'), now + 500);
  });
});

describe('humanSize (go-units HumanSize, %.4g decimal)', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [1024, '1.024kB'],
    [4860, '4.86kB'],
    [1234567, '1.235MB'],
    // 10.125 is exact in binary: Go rounds the tie to even.
    [10125, '10.12kB'],
    [10135, '10.13kB'],
    [999999, '1000kB'],
    [5.5e9, '5.5GB'],
    [1e12, '1TB'],
    [1e15, '1PB'],
    [1e18, '1EB'],
    [123456789012, '123.5GB'],
  ];
  for (const [n, want] of cases) {
    it(`${n} -> ${want}`, () => assert.equal(humanSize(n), want));
  }
  it('supports other precisions', () => {
    assert.equal(humanSizeWithPrecision(1234567, 2), '1.2MB');
    assert.equal(humanSizeWithPrecision(1234567, 6), '1.23457MB');
  });
});

describe('bytesSize (go-units BytesSize, binary)', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [512 * 1024, '512KiB'],
    [1536 * 1024, '1.5MiB'],
    [1024 ** 3, '1GiB'],
    [5 * 1024 ** 4 + 1, '5TiB'],
    [1234567890, '1.15GiB'],
  ];
  for (const [n, want] of cases) {
    it(`${n} -> ${want}`, () => assert.equal(bytesSize(n), want));
  }
});

describe('parseBytes (go-units RAMInBytes)', () => {
  const ok: Array<[string, number]> = [
    ['32', 32],
    ['32b', 32],
    ['32B', 32],
    ['32k', 32 * 1024],
    ['32K', 32 * 1024],
    ['32kb', 32 * 1024],
    ['32Kib', 32 * 1024],
    ['32m', 32 * 1024 ** 2],
    ['32MB', 32 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1610612736],
    ['2t', 2 * 1024 ** 4],
    ['1p', 1024 ** 5],
    ['512k', 524288],
    ['0.5k', 512],
    ['10 MiB', 10 * 1024 ** 2],
    ['32.9', 32],
    ['.5k', 512],
  ];
  for (const [s, want] of ok) {
    it(`${JSON.stringify(s)} -> ${want}`, () => assert.equal(parseBytes(s), want));
  }
  const bad: Array<[string, string]> = [
    ['', "invalid size: ''"],
    ['hello', "invalid size: 'hello'"],
    ['m', "invalid size: 'm'"],
    ['-32', "invalid size: '-32'"],
    ['-1k', "invalid size: '-1k'"],
    ['32x', "invalid suffix: 'x'"],
    ['32ki', "invalid suffix: 'ki'"],
    ['32kbb', "invalid suffix: 'kbb'"],
    ['32bm', "invalid suffix: 'bm'"],
    // The length check happens before lower-casing, so the original case shows.
    ['32KIBB', "invalid suffix: 'KIBB'"],
    ['32  MB', "invalid suffix: ' mb'"],
    ['1.5.5m', 'strconv.ParseFloat: parsing "1.5.5": invalid syntax'],
    [' 32', 'strconv.ParseFloat: parsing "": invalid syntax'],
  ];
  for (const [s, msg] of bad) {
    it(`rejects ${JSON.stringify(s)}`, () => {
      assert.throws(
        () => parseBytes(s),
        (err: unknown) => err instanceof InvalidParameterError && err.message === msg,
      );
    });
  }
});

describe('containerStatusText (docker ps STATUS)', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const ago = (ms: number): string => new Date(now - ms).toISOString();
  const zero = '0001-01-01T00:00:00Z';

  it('created', () => {
    assert.equal(containerStatusText({ Status: 'created', StartedAt: zero, FinishedAt: zero }, now), 'Created');
    assert.equal(containerStatusText({ Status: 'created' }, now), 'Created');
  });
  it('running', () => {
    assert.equal(containerStatusText({ Status: 'running', Running: true, StartedAt: ago(2 * M) }, now), 'Up 2 minutes');
    assert.equal(containerStatusText({ Status: 'running', StartedAt: ago(300) }, now), 'Up Less than a second');
  });
  it('paused', () => {
    const st = { Status: 'paused', Running: true, Paused: true, StartedAt: ago(2 * M) };
    assert.equal(containerStatusText(st, now), 'Up 2 minutes (Paused)');
  });
  it('health', () => {
    const base = { Status: 'running', Running: true, StartedAt: ago(3 * S) };
    assert.equal(containerStatusText({ ...base, Health: { Status: 'healthy' } }, now), 'Up 3 seconds (healthy)');
    assert.equal(containerStatusText({ ...base, Health: { Status: 'unhealthy' } }, now), 'Up 3 seconds (unhealthy)');
    assert.equal(
      containerStatusText({ ...base, Health: { Status: 'starting' } }, now),
      'Up 3 seconds (health: starting)',
    );
  });
  it('restarting', () => {
    const st = {
      Status: 'restarting',
      Running: true,
      Restarting: true,
      ExitCode: 1,
      StartedAt: ago(M),
      FinishedAt: ago(5 * S),
    };
    assert.equal(containerStatusText(st, now), 'Restarting (1) 5 seconds ago');
  });
  it('exited', () => {
    const st = { Status: 'exited', ExitCode: 0, StartedAt: ago(M), FinishedAt: ago(14 * S) };
    assert.equal(containerStatusText(st, now), 'Exited (0) 14 seconds ago');
    assert.equal(
      containerStatusText({ ...st, ExitCode: 137, FinishedAt: ago(3 * D) }, now),
      'Exited (137) 3 days ago',
    );
    assert.equal(containerStatusText({ ...st, FinishedAt: ago(10) }, now), 'Exited (0) Less than a second ago');
    assert.equal(containerStatusText({ ...st, FinishedAt: zero }, now), '');
  });
  it('removing and dead', () => {
    assert.equal(containerStatusText({ Status: 'removing', StartedAt: ago(M) }, now), 'Removal In Progress');
    assert.equal(containerStatusText({ Status: 'dead', StartedAt: ago(M), FinishedAt: ago(S) }, now), 'Dead');
  });
  it('explicit flags win over Status', () => {
    assert.equal(containerStatusText({ Status: 'exited', Running: true, StartedAt: ago(2 * H) }, now), 'Up 2 hours');
  });
});
