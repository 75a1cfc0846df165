/**
 * Cost of streaming stats (issue 4): N running containers, one `GET /stats` stream each
 * (what `docker stats` opens), berthd's CPU time measured from /proc over a window.
 * Not a test: prints figures.
 *
 *   node dist/bench/stats-cpu.js [containers] [seconds]
 */
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import { startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { loadBusybox } from '../test/helpers/busybox.js';

const n = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 20);
const HZ = 100;

async function cpuTicks(pid: number): Promise<number> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function cpuPercent(pid: number, ms: number): Promise<number> {
  const t0 = await cpuTicks(pid);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const t1 = await cpuTicks(pid);
  return (((t1 - t0) / HZ) * 1000 * 100) / (Date.now() - w0);
}

function openStream(d: TestDaemon, id: string, onDoc: () => void): http.ClientRequest {
  const req = http.get({ socketPath: d.socket, path: `/containers/${id}/stats`, agent: false }, (res) => {
    res.on('data', (c: Buffer) => {
      for (const b of c) if (b === 10) onDoc();
    });
  });
  req.on('error', () => undefined);
  return req;
}

async function main(): Promise<void> {
  const d = await startTestDaemon('bench-stats');
  const reqs: http.ClientRequest[] = [];
  try {
    await loadBusybox(d);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
      const s = await d.api('POST', `/containers/${c.json.Id}/start`);
      if (s.status !== 204) throw new Error(`start: ${s.body}`);
      ids.push(c.json.Id);
    }
    const pid = d.proc.pid!;
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await cpuPercent(pid, Math.min(seconds, 10) * 1000);
    let docs = 0;
    for (const id of ids) reqs.push(openStream(d, id, () => docs++));
    await new Promise((r) => setTimeout(r, 2000)); // streams established
    const docs0 = docs;
    const busy = await cpuPercent(pid, seconds * 1000);
    const rate = (docs - docs0) / seconds;
    console.log(`stats streaming: ${n} running containers, ${n} streams, ${seconds} s window`);
    console.log(`  berthd CPU with ${n} streams: ${busy.toFixed(2)} % of one core (target ≤ 5 %)`);
    console.log(`  berthd CPU idle, same containers, no streams: ${idle.toFixed(2)} %`);
    console.log(`  samples delivered: ${rate.toFixed(1)}/s (expected ${n}/s)`);
  } finally {
    for (const r of reqs) r.destroy();
    await d.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
