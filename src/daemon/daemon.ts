import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ApiServer } from '../api/server.js';
import { Router } from '../api/router.js';
import { systemRoutes } from '../api/routes/system.js';
import { imageRoutes } from '../api/routes/images.js';
import { containerRoutes } from '../api/routes/containers.js';
import { networkRoutes } from '../api/routes/networks.js';
import { NetworkService } from '../engine/networks/network-service.js';
import { SandboxService } from '../engine/networks/sandbox-service.js';
import { parseAddressPool } from '../engine/networks/ipam.js';
import { LinkDriver } from '../drivers/network/link-driver.js';
import { IptablesDriver } from '../drivers/network/iptables.js';
import { IptablesFirewall, NoFirewall } from '../drivers/network/firewall.js';
import { ShellPool } from '../drivers/sys/shell-worker.js';
import { eventRoutes } from '../api/routes/events.js';
import { systemDfRoutes } from '../api/routes/system-df.js';
import { distributionRoutes } from '../api/routes/distribution.js';
import { RegistryClient } from '../drivers/registry/registry-client.js';
import { validateRegistryOptions } from '../drivers/registry/endpoints.js';
import { execRoutes } from '../api/routes/exec.js';
import { ContainerExecs } from '../engine/containers/container-exec.js';
import { HealthMonitor } from '../engine/containers/health-monitor.js';
import { archiveRoutes } from '../api/routes/archive.js';
import { ContainerArchive } from '../engine/containers/container-archive.js';
import { containerFsRoutes } from '../api/routes/container-fs.js';
import { statsRoutes } from '../api/routes/stats.js';
import { ContainerStats } from '../engine/containers/container-stats.js';
import { CgroupReader } from '../drivers/cgroups/cgroup-reader.js';
import { EventBus } from '../engine/events.js';
import { ImageService } from '../engine/images/image-service.js';
import { ContainerService } from '../engine/containers/container-service.js';
import { SystemService, detectCgroupVersion } from '../engine/system/system-service.js';
import { ConmonRuncRuntime } from '../drivers/runtime/conmon-runc.js';
import { OverlayRootfs } from '../drivers/storage/overlay-rootfs.js';
import { InvalidParameterError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { DaemonOptions } from './options.js';

export interface RunningDaemon {
  server: ApiServer;
  stop(): Promise<void>;
}

/** The composition root: builds every service once and wires them; nothing registers itself. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  await fsp.mkdir(o.dataRoot, { recursive: true, mode: 0o711 });
  await fsp.mkdir(o.execRoot, { recursive: true, mode: 0o700 });
  const cgroupVersion = await detectCgroupVersion();
  const events = new EventBus();

  const runtimes = { runc: { path: 'runc' }, ...o.runtimes };
  if (!(o.defaultRuntime in runtimes)) {
    throw new InvalidParameterError(`default runtime ${o.defaultRuntime} is not a configured runtime`);
  }
  const runtime = new ConmonRuncRuntime({ execRoot: o.execRoot, runtimes, defaultRuntime: o.defaultRuntime, cgroupVersion });
  const images = new ImageService(path.join(o.dataRoot, 'image'), events);
  await images.init();
  // Per-registry TLS material: <config dir>/certs.d (default /etc/berth), then dockerd's.
  const configDir = o.configFile ? path.dirname(path.resolve(o.configFile)) : '/etc/berth';
  const registry = new RegistryClient(
    validateRegistryOptions({
      insecureRegistries: o.insecureRegistries,
      mirrors: o.registryMirrors,
      certsDirs: [path.join(configDir, 'certs.d'), '/etc/docker/certs.d'],
      dockerIoEndpoint: o.dockerIoEndpoint,
    }),
  );
  images.setRegistry(registry);
  // Per-container network steps run as scripts in long-lived shells (cheaper than spawns).
  const shells = new ShellPool(2);
  const links = new LinkDriver(undefined, shells.run);
  // berth's rules live in chains named after the default bridge: one set per daemon.
  const firewall = o.iptables ? new IptablesFirewall(o.bridge, new IptablesDriver(undefined, shells.run)) : new NoFirewall();
  const networks = new NetworkService(
    {
      root: path.join(o.dataRoot, 'network'),
      bridge: o.bridge,
      bip: o.bip,
      fixedCidr: o.fixedCidr,
      defaultAddressPools: o.defaultAddressPools.map(parseAddressPool),
      mtu: o.mtu,
      ipForward: o.ipForward,
    },
    links,
    firewall,
    events,
  );
  const sandboxes = new SandboxService(networks, links, firewall, { netnsDir: path.join(o.execRoot, 'netns') });
  await networks.init();
  await sandboxes.init();
  const containers = new ContainerService({
    root: path.join(o.dataRoot, 'containers'),
    runtime,
    rootfs: new OverlayRootfs(),
    images,
    events,
    defaultRuntime: o.defaultRuntime,
    network: sandboxes,
  });
  images.setUsage(containers);
  const system = new SystemService(
    { dataRoot: o.dataRoot, execRoot: o.execRoot, defaultRuntime: o.defaultRuntime, runtimes, cgroupVersion },
    { containers: () => containers.counts(), images: () => images.count() },
  );
  await system.init();
  await containers.init();
  // After every running container took its addresses and ports back: drop what is left of the others.
  await sandboxes.sweep();
  containers.startPolicyContainers();

  const router = new Router();
  systemRoutes(router, system);
  eventRoutes(router, events);
  systemDfRoutes(router, containers, images);
  imageRoutes(router, images);
  networkRoutes(router, networks, containers);
  distributionRoutes(router, images);
  const execs = new ContainerExecs({ containers, runtime, events });
  containerRoutes(router, containers, images, (id) => execs.idsFor(id));
  execRoutes(router, execs);
  const health = new HealthMonitor(containers, execs, events);
  health.adopt(containers.all());
  archiveRoutes(router, new ContainerArchive({ containers, events }));
  containerFsRoutes(router, { containers, images, events });
  statsRoutes(router, new ContainerStats({ containers, reader: new CgroupReader(cgroupVersion) }));

  const server = new ApiServer(router, () => ({
    'Api-Version': system.version().ApiVersion as string,
    'Docker-Experimental': 'false',
    'Ostype': 'linux',
    'Builder-Version': '1',
    'Server': `berth/${system.version().Version as string} (linux)`,
  }));
  for (const host of o.hosts) await listenOn(server, host, o);
  if (o.pidfile) await fsp.writeFile(o.pidfile, `${process.pid}\n`);
  log.info('berthd has completed initialization', { dataRoot: o.dataRoot, execRoot: o.execRoot });

  return {
    server,
    async stop() {
      health.close();
      await server.close();
      registry.close();
      await containers.shutdown();
      networks.shutdown();
      shells.close();
      if (o.pidfile) await fsp.rm(o.pidfile, { force: true });
    },
  };
}

/** Unix sockets as they are; TCP only with TLS, or with a loud warning when TLS was explicitly turned off. */
async function listenOn(server: ApiServer, host: string, o: DaemonOptions): Promise<void> {
  if (host.startsWith('unix://')) {
    const sock = host.slice('unix://'.length);
    await server.listenUnix(sock);
    log.info('API listen on ' + sock);
    return;
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]*):(\d+)$/.exec(host);
  if (!m) throw new InvalidParameterError(`invalid host ${host}: use unix:///path or tcp://host:port`);
  const addr = m[1].replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(m[2]);
  if (o.tls === undefined) {
    throw new InvalidParameterError(
      `refusing to listen on ${host} without TLS: anyone who can reach it gets root on this host. ` +
        'Use --tlsverify with --tlscacert, --tlscert and --tlskey, or pass --tls=false to accept the risk',
    );
  }
  if (o.tls === false) {
    log.warn(`!!! API listening on ${host} WITHOUT TLS: anyone who can reach this address has root access to this host !!!`);
    await server.listenTcp(addr, port);
    return;
  }
  if (!o.tlsCert || !o.tlsKey) throw new InvalidParameterError('TLS needs --tlscert and --tlskey');
  if (o.tlsVerify && !o.tlsCaCert) throw new InvalidParameterError('--tlsverify needs --tlscacert to verify clients against');
  if (!o.tlsVerify) log.warn(`API on ${host} uses TLS without verifying client certificates (--tlsverify): any client is accepted`);
  await server.listenTcp(addr, port, { ca: o.tlsCaCert, cert: o.tlsCert, key: o.tlsKey, verify: o.tlsVerify });
  log.info(`API listen on ${host} (TLS${o.tlsVerify ? ', client certificates verified' : ''})`);
}
