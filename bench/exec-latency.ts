/**
 * exec latency (issue 4). Not a test: prints figures and ratios.
 *
 *   node dist/bench/exec-latency.js [runs]
 *
 * Baseline: `runc exec` of the same running container (the floor: no daemon, no monitor).
 * Measured: the API alone (exec create + hijacked start read to its end + inspect, as a
 * client does), `docker exec NAME true` with the real docker CLI, and `berth exec`.
 */

import * as net from 'node:net';
import { berthBin, startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { loadBusybox } from '../test/helpers/busybox.js';
import { median, time, exec } from './measure.js';

const runs = Number(process.argv[2] ?? 15);




/** What a client does for `exec NAME true`: create, start hijacked and read to the end, inspect. */
async function apiExec(d: TestDaemon, container: string): Promise<void> {
  const c = await d.api('POST', `/containers/${container}/exec`, { Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  await new Promise<void>((resolve, reject) => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const sock = net.connect(d.socket);
    sock.on('error', reject);
    sock.on('close', () => resolve());
    sock.resume();
    sock.write(`POST /v1.45/exec/${c.json.Id}/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  const i = await d.api('GET', `/exec/${c.json.Id}/json`);
  if (i.json.ExitCode !== 0) throw new Error(`exec exit code ${i.json.ExitCode}`);
}

async function main(): Promise<void> {
  const d = await startTestDaemon('bench-exec');
  try {
    await loadBusybox(d);
    const c = await d.api('POST', '/containers/create?name=bench-exec', { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
    await d.api('POST', `/containers/${c.json.Id}/start`);
    const env = { BERTH_HOST: d.host, DOCKER_HOST: d.host };
    const runcRoot = `${d.execRoot}/runtime-runc`;

    const sample = async (fn: () => Promise<void>): Promise<number[]> => {
      await fn(); // warm-up
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) xs.push(await time(fn));
      return xs;
    };
    const runc = await sample(() => exec('runc', ['--root', runcRoot, 'exec', c.json.Id, 'true']));
    const api = await sample(() => apiExec(d, c.json.Id));
    const docker = await sample(() => exec('docker', ['exec', 'bench-exec', 'true'], env)).catch(() => undefined);
    const berth = await sample(() => exec(berthBin, ['exec', 'bench-exec', 'true'], env));
    const dockerVersion = await sample(() => exec('docker', ['version', '--format', '{{.Server.Version}}'], env)).catch(() => undefined);

    const floor = median(runc);
    const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} ms`;
    const line = (label: string, xs: number[]): string => `  ${label.padEnd(38)} ${fmt(xs).padStart(9)}   ratio ${(median(xs) / floor).toFixed(2)}x   adds ${(median(xs) - floor).toFixed(1)} ms`;
    console.log(`exec latency, median of ${runs} (baseline: runc exec of the same container = ${fmt(runc)})`);
    console.log(line('API: create + start (hijacked) + inspect', api));
    if (docker) console.log(line('docker exec NAME true (docker CLI)', docker));
    console.log(line('berth exec NAME true', berth));
    if (dockerVersion) console.log(`  (docker CLI start-up + one API call, for scale: ${fmt(dockerVersion)})`);
    console.log('  no real dockerd on this machine: ratios are against runc exec, as the issue asks then');
  } finally {
    await d.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
