/**
 * Start-latency and memory benchmark (issue 2). Not a test: prints figures and ratios.
 *
 *   node dist/bench/start-latency.js [runs]
 *
 * Baseline: bare `runc run` of a busybox bundle (the floor). Measured: `berth run --rm
 * busybox true`, and the same through the real docker CLI against berthd when `docker`
 * is on the PATH. Also: conmon RSS per running container and berthd idle RSS.
 */
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestDaemon, berthBin, repoRoot, run } from '../test/helpers/daemon.js';
import { median, time, exec } from './measure.js';

const runs = Number(process.argv[2] ?? 20);




async function rssKb(pid: number): Promise<number> {
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-bench-'));
  // The floor: bare runc with a busybox rootfs.
  const bundle = path.join(tmp, 'bundle');
  await fsp.mkdir(path.join(bundle, 'rootfs/bin'), { recursive: true });
  await fsp.copyFile('/bin/busybox', path.join(bundle, 'rootfs/bin/busybox'));
  await fsp.symlink('busybox', path.join(bundle, 'rootfs/bin/true'));
  spawnSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(await fsp.readFile(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  spec.root.readonly = false;
  spec.linux.cgroupsPath = '/berth-bench/runc';
  await fsp.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const runcRoot = path.join(tmp, 'runc-root');
  const runc: number[] = [];
  for (let i = 0; i < runs; i++) {
    runc.push(await time(() => exec('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `bench-${i}`])));
  }

  const d = await startTestDaemon('bench');
  try {
    const img = spawnSync('node', [path.join(repoRoot, 'dist/src/tools/make-busybox-image.js')], { maxBuffer: 1 << 30 });
    const load = await d.api('POST', '/images/load?quiet=1', img.stdout, { 'Content-Type': 'application/x-tar' });
    if (load.status !== 200) throw new Error('load failed: ' + load.body);
    const env = { BERTH_HOST: d.host, DOCKER_HOST: d.host };
    await exec(berthBin, ['run', '--rm', 'busybox', 'true'], env);
    const berth: number[] = [];
    for (let i = 0; i < runs; i++) berth.push(await time(() => exec(berthBin, ['run', '--rm', 'busybox', 'true'], env)));
    // The API alone (create + attach-less start + wait + remove), without any CLI's start-up cost.
    const api: number[] = [];
    for (let i = 0; i < runs; i++) {
      api.push(
        await time(async () => {
          const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } });
          const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=removed`);
          await d.api('POST', `/containers/${c.json.Id}/start`);
          await w;
        }),
      );
    }
    // The same with --network none: bare runc sets up no network either, so this is the like-for-like figure.
    const apiNone: number[] = [];
    for (let i = 0; i < runs; i++) {
      apiNone.push(
        await time(async () => {
          const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, NetworkMode: 'none' } });
          const w = d.api('POST', `/containers/${c.json.Id}/wait?condition=removed`);
          await d.api('POST', `/containers/${c.json.Id}/start`);
          await w;
        }),
      );
    }
    let docker: number[] | undefined;
    if (spawnSync('docker', ['--version']).status === 0) {
      docker = [];
      await exec('docker', ['run', '--rm', 'busybox', 'true'], env);
      for (let i = 0; i < runs; i++) docker.push(await time(() => exec('docker', ['run', '--rm', 'busybox', 'true'], env)));
    }
    const node0: number[] = [];
    for (let i = 0; i < runs; i++) node0.push(await time(() => exec('node', ['-e', '0'])));

    // Memory: berthd idle, then conmon per running container.
    const idle = await rssKb(d.proc.pid!);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '600'] });
      await d.api('POST', `/containers/${c.json.Id}/start`);
      ids.push(c.json.Id);
    }
    const conmons: number[] = [];
    for (const id of ids) {
      const pid = Number(await fsp.readFile(path.join(d.execRoot, 'containers', id, 'conmon.pid'), 'utf8'));
      conmons.push(await rssKb(pid));
    }
    const busy = await rssKb(d.proc.pid!);

    const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} ms`;
    const floor = median(runc);
    console.log(`start latency, median of ${runs} (baseline: bare runc run = ${fmt(runc)})`);
    console.log(`  berth API  create+start+wait(removed): ${fmt(api)}  ratio ${(median(api) / floor).toFixed(2)}x  adds ${(median(api) - floor).toFixed(1)} ms`);
    console.log(`  berth API, --network none (like runc): ${fmt(apiNone)}  ratio ${(median(apiNone) / floor).toFixed(2)}x  adds ${(median(apiNone) - floor).toFixed(1)} ms`);
    console.log(`  berth run --rm busybox true:           ${fmt(berth)}  ratio ${(median(berth) / floor).toFixed(2)}x  adds ${(median(berth) - floor).toFixed(1)} ms (node start-up alone: ${fmt(node0)})`);
    if (docker) console.log(`  docker run --rm busybox true (berthd): ${fmt(docker)}  ratio ${(median(docker) / floor).toFixed(2)}x  adds ${(median(docker) - floor).toFixed(1)} ms`);
    else console.log('  docker CLI not on PATH: skipped');
    console.log(`memory: berthd idle RSS ${(idle / 1024).toFixed(1)} MB (5 containers running: ${(busy / 1024).toFixed(1)} MB); conmon RSS per container median ${(median(conmons) / 1024).toFixed(2)} MB`);
  } finally {
    await d.cleanup();
    await fsp.rm(tmp, { recursive: true, force: true });
    spawnSync('rmdir', ['/sys/fs/cgroup/memory/berth-bench/runc', '/sys/fs/cgroup/memory/berth-bench']);
    void run;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
