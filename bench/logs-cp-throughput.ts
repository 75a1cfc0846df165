/**
 * Throughput (issue 4): `logs` of a container that printed 1 M lines, and `cp` of a
 * 200 MB tree out of (and into) a running container. Not a test: prints figures.
 *
 *   node dist/bench/logs-cp-throughput.js [lines] [treeMB]
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { loadBusybox } from '../test/helpers/busybox.js';

const lines = Number(process.argv[2] ?? 1_000_000);
const treeMb = Number(process.argv[3] ?? 200);

/** GETs a path and counts the bytes; resolves with [bytes, ms]. */
function drain(d: TestDaemon, p: string): Promise<[number, number]> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: d.socket, path: p, agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve([n, Number(process.hrtime.bigint() - t0) / 1e6]));
        if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode}`));
      })
      .on('error', reject);
  });
}

function timed(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`${cmd}: ${err}`))));
  });
}

async function waitExit(d: TestDaemon, id: string): Promise<void> {
  await d.api('POST', `/containers/${id}/wait?condition=not-running`);
}

async function main(): Promise<void> {
  const d = await startTestDaemon('bench-logs-cp');
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-bench-cp-'));
  try {
    await loadBusybox(d);
    const env = { DOCKER_HOST: d.host, BERTH_HOST: d.host };
    const mbs = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;

    // logs: 1 M lines written by the container, read back whole.
    const lc = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['seq', '1', String(lines)], HostConfig: { NetworkMode: 'none' } });
    await d.api('POST', `/containers/${lc.json.Id}/start`);
    await waitExit(d, lc.json.Id);
    const [logBytes, logMs] = await drain(d, `/containers/${lc.json.Id}/logs?stdout=1&stderr=1`);
    const cliLogMs = await timed('docker', ['logs', lc.json.Id], env).catch(() => undefined);
    console.log(`logs of ${lines} lines (${(logBytes / 1e6).toFixed(1)} MB multiplexed):`);
    console.log(`  API read: ${logMs.toFixed(0)} ms = ${((lines / logMs) * 1000 / 1e6).toFixed(2)} M lines/s, ${mbs(logBytes, logMs)}`);
    if (cliLogMs) console.log(`  docker logs > /dev/null: ${cliLogMs.toFixed(0)} ms = ${((lines / cliLogMs) * 1000 / 1e6).toFixed(2)} M lines/s`);

    // cp: a 200 MB tree (1 MB files in 10 directories) in a running container.
    const files = treeMb;
    const cc = await d.api('POST', '/containers/create?name=bench-cp', {
      Image: 'busybox',
      Cmd: ['sh', '-c', `for d in 0 1 2 3 4 5 6 7 8 9; do mkdir -p /data/d$d; done; i=0; while [ $i -lt ${files} ]; do dd if=/dev/urandom of=/data/d$((i % 10))/f$i bs=1M count=1 2>/dev/null; i=$((i+1)); done; touch /ready; sleep 3600`],
      HostConfig: { NetworkMode: 'none' },
    });
    await d.api('POST', `/containers/${cc.json.Id}/start`);
    for (;;) {
      const r = await d.api('HEAD', `/containers/${cc.json.Id}/archive?path=/ready`);
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const [tarBytes, apiMs] = await drain(d, `/containers/${cc.json.Id}/archive?path=/data`);
    const cliMs = await timed('docker', ['cp', 'bench-cp:/data', path.join(tmp, 'out-docker')], env).catch(() => undefined);
    const berthMs = await timed(path.join(process.cwd(), 'bin/berth'), ['cp', 'bench-cp:/data', path.join(tmp, 'out-berth')], env).catch(() => undefined);
    const inMs = cliMs ? await timed('docker', ['cp', path.join(tmp, 'out-docker'), 'bench-cp:/copy-in'], env) : undefined;
    console.log(`cp of a ${treeMb} MB tree (${files} files) out of a running container (tar ${(tarBytes / 1e6).toFixed(1)} MB):`);
    console.log(`  API GET archive: ${apiMs.toFixed(0)} ms = ${mbs(tarBytes, apiMs)}`);
    if (cliMs) console.log(`  docker cp out (extracted on disk): ${cliMs.toFixed(0)} ms = ${mbs(tarBytes, cliMs)}`);
    if (berthMs) console.log(`  berth cp out (extracted on disk): ${berthMs.toFixed(0)} ms = ${mbs(tarBytes, berthMs)}`);
    if (inMs) console.log(`  docker cp in (the same tree back): ${inMs.toFixed(0)} ms = ${mbs(tarBytes, inMs)}`);
  } finally {
    await d.cleanup();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
