import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calculateBlockIO,
  calculateCPUPercentUnix,
  calculateMemPercentUnixNoCache,
  calculateMemUsageUnixNoCache,
  calculateNetwork,
  invalidEntry,
  renderStats,
  statsEntryFrom,
} from '../../src/cli/format/stats-format.js';
import { getRebaseName, goClean, prepareArchiveCopy, preserveTrailingDotOrSeparator, rebaseName, splitPathDirEntry, type CopyInfo } from '../../src/cli/archive-copy.js';
import { splitCpArg } from '../../src/cli/actions/container-cp.js';
import { Readable } from 'node:stream';

describe('stats: docker’s arithmetic', () => {
  test('CPU %: container delta over host delta, times the CPUs', () => {
    const pre = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000 };
    const cur = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 102_000_000_000, online_cpus: 2 };
    // 0.5 s of CPU in 2 s of host time (both CPUs): 25 % of the host, 50 % of one CPU.
    assert.equal(calculateCPUPercentUnix(pre, cur), 50);
    // No online_cpus: the length of percpu_usage.
    assert.equal(calculateCPUPercentUnix(pre, { ...cur, online_cpus: 0, cpu_usage: { total_usage: 1_500_000_000, percpu_usage: [1, 2, 3, 4] } }), 100);
    // No previous sample, or no progress: 0.
    assert.equal(calculateCPUPercentUnix(undefined, { cpu_usage: { total_usage: 5 }, online_cpus: 2 }), 0);
    assert.equal(calculateCPUPercentUnix(cur, cur), 0);
  });

  test('memory without the inactive file cache (v1 total_inactive_file, v2 inactive_file)', () => {
    assert.equal(calculateMemUsageUnixNoCache({ usage: 10_000, stats: { total_inactive_file: 4_000, inactive_file: 1 } }), 6_000);
    assert.equal(calculateMemUsageUnixNoCache({ usage: 10_000, stats: { inactive_file: 3_000 } }), 7_000);
    assert.equal(calculateMemUsageUnixNoCache({ usage: 10_000, stats: { total_inactive_file: 20_000 } }), 10_000);
    assert.equal(calculateMemPercentUnixNoCache(0, 100), 0);
    assert.equal(calculateMemPercentUnixNoCache(400, 100), 25);
  });

  test('block and network I/O totals', () => {
    assert.deepEqual(calculateBlockIO({ io_service_bytes_recursive: [{ op: 'Read', value: 10 }, { op: 'write', value: 5 }, { op: 'Total', value: 15 }, { op: 'read', value: 1 }] }), [11, 5]);
    assert.deepEqual(calculateBlockIO({ io_service_bytes_recursive: null }), [0, 0]);
    assert.deepEqual(calculateNetwork({ eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 } }), [101, 52]);
  });

  test('the table, as docker prints it', () => {
    const e = statsEntryFrom('web', {
      name: '/web',
      id: '3dae0f949c34542b9c0c0b3a19abc047c6fdb3b88acaff9f358755e0195fdccf',
      precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 },
      cpu_stats: { cpu_usage: { total_usage: 123_456_789 }, system_cpu_usage: 1_000_000_000, online_cpus: 2 },
      memory_stats: { usage: 3_194_880, limit: 67_108_864, stats: { total_inactive_file: 0 } },
      networks: { eth0: { rx_bytes: 1_536, tx_bytes: 0 } },
      blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4_096_000 }] },
      pids_stats: { current: 3 },
    });
    assert.equal(
      renderStats('', [e], true),
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O    PIDS\n' +
        '3dae0f949c34   web       24.69%    3.047MiB / 64MiB    4.76%     1.54kB / 0B   4.1MB / 0B   3\n',
    );
    assert.equal(renderStats('table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}', [e], true), 'CONTAINER   CPU %     MEM USAGE / LIMIT\nweb         24.69%    3.047MiB / 64MiB\n');
    assert.equal(renderStats('{{.Name}}: {{.PIDs}}', [invalidEntry(e)], true), 'web: --\n');
    assert.equal(renderStats('{{.MemUsage}} {{.NetIO}}', [invalidEntry(e)], true), '-- / -- --\n');
    assert.equal(
      renderStats('json', [e], true),
      '{"BlockIO":"4.1MB / 0B","CPUPerc":"24.69%","Container":"web","ID":"3dae0f949c34","MemPerc":"4.76%","MemUsage":"3.047MiB / 64MiB","Name":"web","NetIO":"1.54kB / 0B","PIDs":"3"}\n',
    );
  });
});

describe('cp: docker’s path rules (go-archive)', () => {
  test('CONTAINER:PATH, unless the argument is a local path', () => {
    assert.deepEqual(splitCpArg('web:/etc/passwd'), { container: 'web', path: '/etc/passwd' });
    assert.deepEqual(splitCpArg('./file:name.txt'), { container: '', path: './file:name.txt' });
    assert.deepEqual(splitCpArg('/abs/a:b'), { container: '', path: '/abs/a:b' });
    assert.deepEqual(splitCpArg('plain'), { container: '', path: 'plain' });
  });

  test('path helpers', () => {
    assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
    assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
    assert.deepEqual(splitPathDirEntry('/a'), ['/', 'a']);
    assert.equal(goClean('/a/../../b/./c/'), '/b/c');
    assert.equal(preserveTrailingDotOrSeparator('/a/b', '/a/b/.'), '/a/b/.');
    assert.equal(preserveTrailingDotOrSeparator('/a/b', 'b/'), '/a/b/');
    assert.deepEqual(getRebaseName('/tmp/link', '/etc/target'), ['/etc/target', 'link']);
    assert.deepEqual(getRebaseName('/tmp/link/', '/etc/target'), ['/etc/target/', 'link']);
    assert.equal(rebaseName('passwd', 'passwd', 'pw'), 'pw');
    assert.equal(rebaseName('site/css/a.css', 'site', 'www'), 'www/css/a.css');
  });

  test('where the archive is extracted, and the errors', () => {
    const content = Readable.from([]);
    const file: CopyInfo = { path: '/c/etc/passwd', exists: true, isDir: false, rebaseName: '' };
    const dir: CopyInfo = { path: '/c/etc', exists: true, isDir: true, rebaseName: '' };
    assert.equal(prepareArchiveCopy(content, file, { path: '/h/out', exists: true, isDir: true, rebaseName: '' }).dstDir, '/h/out');
    assert.equal(prepareArchiveCopy(content, file, { path: '/h/new', exists: false, isDir: false, rebaseName: '' }).dstDir, '/h');
    assert.equal(prepareArchiveCopy(content, dir, { path: '/h/newdir', exists: false, isDir: false, rebaseName: '' }).dstDir, '/h');
    assert.throws(() => prepareArchiveCopy(content, dir, { path: '/h/afile', exists: true, isDir: false, rebaseName: '' }), /cannot copy directory/);
    assert.throws(() => prepareArchiveCopy(content, file, { path: '/h/nodir/', exists: false, isDir: false, rebaseName: '' }), /no such directory/);
  });
});
