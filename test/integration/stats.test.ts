/**
 * Container stats against a real berthd (cgroup files of real containers): Docker's JSON,
 * streaming with precpu, stream=false and one-shot, a stopped container, and the docker
 * CLI's `stats --no-stream` and `--format "table ..."`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as os from 'node:os';
import { run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;

function docker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('docker', args, { env: { DOCKER_HOST: d.host }, timeoutMs: 60_000 });
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Reads `n` JSON documents of a streaming stats response, then hangs up. */
function streamDocs(p: string, n: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const docs: any[] = [];
    const req = http.get({ socketPath: d.socket, path: p }, (res) => {
      let buf = '';
      res.on('data', (c) => {
        buf += c;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          docs.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (docs.length === n) {
            req.destroy();
            resolve(docs);
            return;
          }
        }
      });
    });
    req.on('error', (err) => (docs.length >= n ? undefined : reject(err)));
  });
}

/** docker's CPU % (cli/command/container/stats_helpers.go). */
function cpuPercent(s: any): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = s.cpu_stats.system_cpu_usage - (s.precpu_stats.system_cpu_usage ?? 0);
  return sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * s.cpu_stats.online_cpus * 100 : 0;
}

describe('stats against a real berthd', () => {
  before(async () => {
    d = await startTestDaemon('stats');
    await loadBusybox(d);
    await ok('run', '-d', '--name', 'busy', '--network', 'none', '--memory', '64m', 'busybox', 'sh', '-c', 'while :; do :; done');
    await ok('run', '-d', '--name', 'idle', 'busybox', 'sh', '-c', 'sleep 600 & sleep 600');
    await ok('create', '--name', 'stopped', 'busybox', 'true');
  });
  after(async () => d?.cleanup());

  test('one-shot: Docker’s fields from the cgroup files', async () => {
    const r = await d.api('GET', '/containers/idle/stats?stream=false&one-shot=true');
    assert.equal(r.status, 200);
    const s = r.json;
    assert.deepEqual(Object.keys(s).slice(0, 11), ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats', 'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id']);
    assert.equal(s.name, '/idle');
    assert.equal(s.preread, '0001-01-01T00:00:00Z');
    assert.ok(Date.now() - Date.parse(s.read) < 5000);
    assert.ok(s.pids_stats.current >= 2, JSON.stringify(s.pids_stats));
    assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
    assert.ok(s.cpu_stats.system_cpu_usage > 0);
    assert.equal(s.cpu_stats.online_cpus, os.cpus().length);
    assert.ok(s.memory_stats.usage > 0);
    assert.equal(s.memory_stats.limit, os.totalmem(), 'no limit: the host’s memory');
    assert.ok(typeof s.memory_stats.stats === 'object');
    assert.ok(Array.isArray(s.blkio_stats.io_service_bytes_recursive) || s.blkio_stats.io_service_bytes_recursive === null);
    // The default bridge: the container's own interface, not loopback.
    assert.ok(s.networks?.eth0, JSON.stringify(s.networks));
    assert.ok(!('lo' in s.networks));
    const limited = (await d.api('GET', '/containers/busy/stats?stream=false&one-shot=true')).json;
    assert.equal(limited.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(limited.networks, undefined, '--network none has no interfaces to report');
  });

  test('stream=false takes two samples: precpu is filled and CPU % is sane', async () => {
    const t0 = Date.now();
    const s = (await d.api('GET', '/containers/busy/stats?stream=false')).json;
    assert.ok(Date.now() - t0 >= 900, 'one collection interval between the samples');
    assert.notEqual(s.preread, '0001-01-01T00:00:00Z');
    assert.ok(s.precpu_stats.cpu_usage.total_usage > 0);
    const pct = cpuPercent(s);
    // A busy loop: a good share of a core (the share depends on what else the host runs).
    assert.ok(pct > 5 && pct < 100 * os.cpus().length + 5, `busy loop CPU % = ${pct}`);
  });

  test('a stream sends a sample a second, each with the previous one as pre*', async () => {
    const docs = await streamDocs('/containers/busy/stats', 3);
    assert.equal(docs[0].preread, '0001-01-01T00:00:00Z');
    assert.equal(docs[1].preread, docs[0].read);
    assert.equal(docs[2].preread, docs[1].read);
    assert.deepEqual(docs[2].precpu_stats, docs[1].cpu_stats);
    const gap = Date.parse(docs[2].read) - Date.parse(docs[1].read);
    assert.ok(gap > 800 && gap < 1500, `interval ${gap} ms`);
    assert.ok(cpuPercent(docs[2]) > 5);
  });

  test('a stopped container: zeroed stats, as dockerd sends them', async () => {
    const r = await d.api('GET', '/containers/stopped/stats?stream=false');
    assert.equal(r.status, 200);
    assert.equal(r.json.read, '0001-01-01T00:00:00Z');
    assert.deepEqual(r.json.memory_stats, {});
    assert.deepEqual(r.json.pids_stats, {});
    assert.equal(r.json.cpu_stats.cpu_usage.total_usage, 0);
    assert.equal(r.json.name, '/stopped');
    const streamed = await streamDocs('/containers/stopped/stats', 2);
    assert.equal(streamed[1].read, '0001-01-01T00:00:00Z');
    assert.equal((await d.api('GET', '/containers/nosuch/stats?stream=false')).status, 404);
  });

  test('docker stats --no-stream: the columns, sane numbers', async () => {
    const out = await ok('stats', '--no-stream', 'busy', 'idle');
    const lines = out.trim().split('\n');
    assert.match(lines[0], /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    const busy = lines.find((l) => / busy /.test(l))!;
    const cols = busy.split(/\s{2,}/);
    assert.match(cols[0], /^[0-9a-f]{12}$/);
    assert.equal(cols[1], 'busy');
    const cpu = parseFloat(cols[2]);
    assert.ok(cpu > 5 && cpu <= 100 * os.cpus().length + 5, busy);
    assert.match(cols[3], /^[\d.]+[KMG]?i?B \/ 64MiB$/);
    assert.match(cols[4], /^\d+\.\d\d%$/);
    assert.equal(cols[5], '0B / 0B');
    assert.equal(cols[7], '1');
    const idle = lines.find((l) => / idle /.test(l))!;
    assert.match(idle, /\s[23]$/);
    assert.match(idle, new RegExp(`/ ${(os.totalmem() / 2 ** 30).toFixed(2)}GiB`));
  });

  test('docker stats --format "table {{.Container}}\\t{{.CPUPerc}}\\t{{.MemUsage}}" and --all', async () => {
    const out = await ok('stats', '--no-stream', '--format', 'table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}', 'busy');
    const [head, row] = out.trim().split('\n');
    assert.match(head, /^CONTAINER\s+CPU %\s+MEM USAGE \/ LIMIT$/);
    assert.match(row, /^busy\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ 64MiB$/);
    const all = await ok('stats', '--no-stream', '--all', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}');
    assert.match(all, /^stopped 0\.00% 0B \/ 0B 0$/m);
    assert.match(all, /^busy \d+\.\d\d% /m);
  });
});
