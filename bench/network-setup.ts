/**
 * Networking benchmark (issue 3). Not a test: prints figures and ratios.
 *
 *   node dist/bench/network-setup.js [runs]
 *
 * 1. Set-up + tear-down of one container's network, in-process through the same services
 *    berthd uses (pinned netns, veth on a bridge, address, resolv/hosts, and with -p one
 *    DNAT rule), without runc: the median per container, plain and with a published port.
 * 2. Throughput of a large busybox httpd download through a published port on 127.0.0.1,
 *    against the same download from the container's own IP (the baseline: no real dockerd
 *    is used here), with the ratio.
 * Uses its own bridge and a 10.123.x.0/22 block, removed at the end.
 */
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestDaemon, run } from '../test/helpers/daemon.js';
import { loadBusybox } from '../test/helpers/busybox.js';
import { removeNetworkLeftovers, testNetwork } from '../test/helpers/network.js';
import { EventBus } from '../src/engine/events.js';
import { NetworkService } from '../src/engine/networks/network-service.js';
import { SandboxService } from '../src/engine/networks/sandbox-service.js';
import { parseAddressPool } from '../src/engine/networks/ipam.js';
import { LinkDriver } from '../src/drivers/network/link-driver.js';
import { IptablesDriver } from '../src/drivers/network/iptables.js';
import { IptablesFirewall } from '../src/drivers/network/firewall.js';
import { ShellPool } from '../src/drivers/sys/shell-worker.js';
import type { ContainerRecord } from '../src/engine/containers/container-record.js';
import { median } from './measure.js';

const runs = Number(process.argv[2] ?? 50);


function fakeRecord(i: number, ports: boolean): ContainerRecord {
  const id = (i.toString(16).padStart(8, '0') + 'b'.repeat(64)).slice(0, 64);
  return {
    Id: id,
    Name: `/bench-${i}`,
    Config: { Hostname: id.slice(0, 12), ExposedPorts: ports ? { '80/tcp': {} } : undefined },
    HostConfig: { NetworkMode: 'default', PortBindings: ports ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } : {} },
  } as unknown as ContainerRecord;
}

async function setupTeardown(): Promise<void> {
  const net = testNetwork();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-netbench-'));
  const shells = new ShellPool(2);
  const links = new LinkDriver(undefined, shells.run);
  const firewall = new IptablesFirewall(net.bridge, new IptablesDriver(undefined, shells.run));
  const networks = new NetworkService(
    {
      root: path.join(tmp, 'network'),
      bridge: net.bridge,
      bip: net.bip,
      defaultAddressPools: [parseAddressPool(`base=${net.prefix}.0/22,size=24`)],
      mtu: 1500,
      ipForward: true,
    },
    links,
    firewall,
    new EventBus(),
  );
  const sandboxes = new SandboxService(networks, links, firewall, { netnsDir: path.join(tmp, 'netns') });
  try {
    await networks.init();
    await sandboxes.init();
    await sandboxes.sweep();
    // The baseline: one fork+exec of /bin/true through the same shell worker, now, on this
    // machine (set-up + tear-down is four of them plus the kernel's work).
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await shells.run('/bin/true');
      floor.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const exec = median(floor);
    console.log(`baseline: one fork+exec of /bin/true via the shell worker: median ${exec.toFixed(2)} ms (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`);
    for (const ports of [false, true]) {
      const times: number[] = [];
      const settledTimes: number[] = [];
      for (let i = 0; i < runs; i++) {
        const rec = fakeRecord(i, ports);
        await sandboxes.validate(rec, undefined);
        const t0 = process.hrtime.bigint();
        await sandboxes.prepare(rec);
        await sandboxes.release(rec);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        // Port rules are deleted in the background (the port stays reserved meanwhile).
        await sandboxes.settled();
        settledTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const m = median(times);
      console.log(`network set-up + tear-down${ports ? ' with -p 127.0.0.1::80' : ''}: median ${m.toFixed(1)} ms over ${runs} = ${(m / exec).toFixed(1)}x one fork+exec; target 15 ms: ${(m / 15).toFixed(2)}x`);
      if (ports) console.log(`  ... until its port rule is also gone (background delete): median ${median(settledTimes).toFixed(1)} ms`);
    }
  } finally {
    networks.shutdown();
    shells.close();
    await removeNetworkLeftovers(net.bridge, tmp);
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** Downloads http://host:port/path and returns MB/s. */
function download(host: string, port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    http
      .get({ host, port, path: p, agent: false }, (res) => {
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve(bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9)));
      })
      .on('error', reject);
  });
}

async function throughput(): Promise<void> {
  const d = await startTestDaemon('netbench');
  try {
    await loadBusybox(d);
    const docker = (...args: string[]) => run('docker', args, { env: { DOCKER_HOST: d.host } });
    const sizeMb = 256;
    const r = await docker('run', '-d', '--name', 'big', '-p', '127.0.0.1::80', '--tmpfs', '/var/www:size=300m', 'busybox', 'sh', '-c',
      `dd if=/dev/zero of=/var/www/big bs=1M count=${sizeMb} 2>/dev/null && touch /var/www/ready && exec httpd -f -p 80 -h /var/www`);
    if (r.code !== 0) throw new Error(r.stderr);
    const c = (await d.api('GET', '/containers/big/json')).json;
    const ip = c.NetworkSettings.IPAddress as string;
    const port = Number(c.NetworkSettings.Ports['80/tcp'][0].HostPort);
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((res) => http.get({ host: ip, port: 80, path: '/ready', agent: false }, (x) => res(x.statusCode === 200)).on('error', () => res(false)));
      if (ok) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const direct: number[] = [];
    const published: number[] = [];
    for (let i = 0; i < 5; i++) {
      direct.push(await download(ip, 80, '/big'));
      published.push(await download('127.0.0.1', port, '/big'));
    }
    const md = median(direct);
    const mp = median(published);
    console.log(`download of ${sizeMb} MB from busybox httpd: container IP ${md.toFixed(0)} MB/s, published 127.0.0.1:${port} ${mp.toFixed(0)} MB/s`);
    console.log(`published-port throughput / container-IP throughput: ${(mp / md).toFixed(2)} (target >= 0.95)`);
  } finally {
    await d.cleanup();
  }
}

async function main(): Promise<void> {
  await setupTeardown();
  await throughput();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
