import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeStats,
  parseBlkio,
  parseNetDev,
  parseProcStat,
  statsFromV1,
  statsFromV2,
  zeroStats,
  emptyCpu,
} from '../../src/drivers/cgroups/cgroup-stats.js';
import { goFileMode, GoMode, goModeIsDir, rfc3339Nano, unixModeFromGo } from '../../src/lib/go-filemode.js';

const HOST = 24_000_000_000n;

// Fixture files as a cgroup v1 container with a 64 MiB limit reads them.
const v1 = {
  'cpuacct.usage': '50408860\n',
  'cpuacct.usage_percpu': '36558868 13849992 \n',
  'cpuacct.stat': 'user 3\nsystem 4\n',
  'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 12345\nnr_bursts 0\nburst_time 0\n',
  'memory.usage_in_bytes': '3194880\n',
  'memory.max_usage_in_bytes': '4519040\n',
  'memory.limit_in_bytes': '67108864\n',
  'memory.failcnt': '0\n',
  'memory.stat': 'cache 65536\nrss 49152\ninactive_file 16384\nactive_file 49152\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\ntotal_inactive_file 16384\ntotal_rss 49152\n',
  'pids.current': '3\n',
  'pids.max': 'max\n',
  'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
  'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
};

const v2 = {
  'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n',
  'memory.current': '1048576\n',
  'memory.max': 'max\n',
  'memory.stat': 'anon 4096\nfile 8192\ninactive_file 2048\nactive_file 6144\n',
  'memory.events': 'low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n',
  'pids.current': '2\n',
  'pids.max': '100\n',
  'io.stat': '8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n',
};

describe('cgroup stats → Docker StatsJSON', () => {
  test('cgroup v1 files', () => {
    const s = statsFromV1(v1, HOST);
    assert.equal(s.cpu_stats.cpu_usage.total_usage, 50408860n);
    assert.deepEqual(s.cpu_stats.cpu_usage.percpu_usage, [36558868n, 13849992n]);
    // cpuacct.stat is in USER_HZ ticks (10 ms).
    assert.equal(s.cpu_stats.cpu_usage.usage_in_usermode, 30_000_000n);
    assert.equal(s.cpu_stats.cpu_usage.usage_in_kernelmode, 40_000_000n);
    assert.deepEqual(s.cpu_stats.throttling_data, { periods: 10n, throttled_periods: 2n, throttled_time: 12345n });
    assert.equal(s.memory_stats.usage, 3194880n);
    assert.equal(s.memory_stats.max_usage, 4519040n);
    assert.equal(s.memory_stats.limit, 67108864n);
    assert.equal(s.memory_stats.failcnt, undefined, 'a zero failcnt is omitted');
    assert.equal(s.memory_stats.stats!.total_inactive_file, 16384n);
    assert.equal(s.memory_stats.stats!.rss_huge, 0n, 'every key dockerd reports is present');
    assert.deepEqual(s.pids_stats, { current: 3n, limit: undefined });
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive!.map((e) => [e.op, e.value]), [
      ['Read', 4096n],
      ['Write', 8192n],
      ['Sync', 0n],
      ['Async', 12288n],
      ['Discard', 0n],
      ['Total', 12288n],
    ]);
    assert.deepEqual(s.blkio_stats.io_queue_recursive, []);
  });

  test('an unlimited v1 container reports the host memory as its limit', () => {
    const s = statsFromV1({ ...v1, 'memory.limit_in_bytes': '9223372036854771712\n' }, HOST);
    assert.equal(s.memory_stats.limit, HOST);
  });

  test('cgroup v2 files', () => {
    const s = statsFromV2(v2, HOST);
    assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 1_500_000n, usage_in_kernelmode: 500_000n, usage_in_usermode: 1_000_000n });
    assert.deepEqual(s.cpu_stats.throttling_data, { periods: 4n, throttled_periods: 1n, throttled_time: 7000n });
    assert.equal(s.memory_stats.usage, 1048576n);
    assert.equal(s.memory_stats.limit, HOST, 'memory.max "max" is the host memory');
    assert.equal(s.memory_stats.failcnt, 1n, 'failcnt is memory.events oom');
    assert.equal(s.memory_stats.stats!.inactive_file, 2048n);
    assert.deepEqual(s.pids_stats, { current: 2n, limit: 100n });
    assert.deepEqual(
      s.blkio_stats.io_service_bytes_recursive!.map((e) => [e.major, e.minor, e.op, e.value]),
      [
        [8n, 0n, 'read', 1024n],
        [8n, 0n, 'write', 2048n],
      ],
    );
    assert.equal(s.blkio_stats.io_serviced_recursive, null);
  });

  test('/proc/stat: all CPU time in ns, online CPUs', () => {
    const r = parseProcStat('cpu  328537 0 59288 316811 1807 0 1450 10118 0 0\ncpu0 160354 0 29213 163663 451 0 330 5080 0 0\ncpu1 168183 0 30075 153148 1355 0 1120 5038 0 0\nintr 1 2 3\n');
    // The first seven fields (user..softirq), 100 ticks per second.
    assert.equal(r.systemUsage, (328537n + 0n + 59288n + 316811n + 1807n + 0n + 1450n) * 10_000_000n);
    assert.equal(r.onlineCpus, 2);
  });

  test('/proc/<pid>/net/dev: interfaces but lo', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0',
    ].join('\n');
    assert.deepEqual(parseNetDev(text), {
      eth0: { rx_bytes: 5000n, rx_packets: 40n, rx_errors: 1n, rx_dropped: 2n, tx_bytes: 3000n, tx_packets: 30n, tx_errors: 3n, tx_dropped: 4n },
    });
  });

  test('blkio lines without a device are skipped', () => {
    assert.deepEqual(parseBlkio('Total 0\n'), []);
  });

  test('JSON: dockerd field order, exact uint64, omitempty, zeroed stats of a stopped container', () => {
    const s = statsFromV1(v1, HOST);
    const json = encodeStats({ ...s, read: '2026-01-01T00:00:01Z', preread: '2026-01-01T00:00:00Z', precpu_stats: emptyCpu(), name: '/web', id: 'abc', networks: {} });
    assert.deepEqual(Object.keys(JSON.parse(json)), ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats', 'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id']);
    assert.match(json, /"hierarchical_memsw_limit":9223372036854771712[,}]/);
    assert.match(json, /"pids_stats":\{"current":3\}/);
    const zero = encodeStats(zeroStats('abc', '/web'));
    assert.equal(
      zero,
      '{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","pids_stats":{},"blkio_stats":{"io_service_bytes_recursive":null,"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{},"name":"/web","id":"abc"}',
    );
  });
});

describe('Go FileMode bits', () => {
  test('types and permissions as Go lays them out', () => {
    assert.equal(goFileMode(0o040755), GoMode.Dir + 0o755);
    assert.equal(goFileMode(0o040755), 2147484141);
    assert.equal(goFileMode(0o120777), GoMode.Symlink + 0o777);
    assert.equal(goFileMode(0o100644), 0o644);
    assert.equal(goFileMode(0o020666), GoMode.Device + GoMode.CharDevice + 0o666);
    assert.equal(goFileMode(0o060660), GoMode.Device + 0o660);
    assert.equal(goFileMode(0o010644), GoMode.NamedPipe + 0o644);
    assert.equal(goFileMode(0o140755), GoMode.Socket + 0o755);
    assert.equal(goFileMode(0o104755), GoMode.Setuid + 0o755);
    assert.equal(goFileMode(0o041777), GoMode.Dir + GoMode.Sticky + 0o777);
    assert.equal(goFileMode(0o102755), GoMode.Setgid + 0o755);
    assert.ok(goModeIsDir(2147484141));
    assert.ok(!goModeIsDir(0o644));
  });

  test('round trip to Unix modes', () => {
    for (const m of [0o040755, 0o120777, 0o100644, 0o020666, 0o060660, 0o010644, 0o104755, 0o041777]) {
      assert.equal(unixModeFromGo(goFileMode(m)), m);
    }
  });

  test('times as Go marshals them', () => {
    assert.equal(rfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(rfc3339Nano(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
    assert.equal(rfc3339Nano(1_700_000_000_500_000_000n), '2023-11-14T22:13:20.5Z');
  });
});
