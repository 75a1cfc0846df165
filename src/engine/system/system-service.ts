import * as os from 'node:os';
import { promises as fsp } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { API_VERSION, MIN_API_VERSION } from '../../lib/api-version.js';

export const BERTH_VERSION = '0.1.0';

export interface SystemCounts {
  containers(): { total: number; running: number; paused: number; stopped: number };
  images(): number;
}

export interface SystemFacts {
  dataRoot: string;
  execRoot: string;
  defaultRuntime: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  cgroupVersion: '1' | '2';
}

/** /info and /version: facts about this host and counts from the engine. */
export class SystemService {
  private id = '';
  constructor(
    private readonly facts: SystemFacts,
    private readonly counts: SystemCounts,
  ) {}

  async init(): Promise<void> {
    const idFile = path.join(this.facts.dataRoot, 'engine-id');
    try {
      this.id = (await fsp.readFile(idFile, 'utf8')).trim();
    } catch {
      this.id = randomUUID();
      await fsp.writeFile(idFile, this.id + '\n');
    }
  }

  version(): Record<string, unknown> {
    const kernel = os.release();
    return {
      Platform: { Name: 'berth Engine' },
      Components: [
        {
          Name: 'Engine',
          Version: BERTH_VERSION,
          Details: {
            ApiVersion: API_VERSION,
            Arch: goArch(),
            BuildTime: '',
            Experimental: 'false',
            GitCommit: '',
            GoVersion: `node${process.versions.node}`,
            KernelVersion: kernel,
            MinAPIVersion: MIN_API_VERSION,
            Os: 'linux',
          },
        },
      ],
      Version: BERTH_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: kernel,
      BuildTime: '',
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const c = this.counts.containers();
    const runtimes: Record<string, { path: string; runtimeArgs?: string[] }> = {
      runc: { path: 'runc' },
      ...this.facts.runtimes,
    };
    return {
      ID: this.id,
      Containers: c.total,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: this.counts.images(),
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'false'],
      ],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] },
      MemoryLimit: true,
      SwapLimit: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: false,
      NFd: await countFds(),
      OomKillDisable: this.facts.cgroupVersion === '1',
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'k8s-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: this.facts.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: os.release(),
      OperatingSystem: await osName(),
      OSVersion: await osVersion(),
      OSType: 'linux',
      Architecture: os.machine(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      GenericResources: null,
      DockerRootDir: this.facts.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION,
      Runtimes: runtimes,
      DefaultRuntime: this.facts.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=unconfined'],
      Warnings: [],
    };
  }
}

export function goArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

async function countFds(): Promise<number> {
  try {
    return (await fsp.readdir('/proc/self/fd')).length;
  } catch {
    return 0;
  }
}

async function readOsRelease(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    for (const line of (await fsp.readFile('/etc/os-release', 'utf8')).split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) out[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  } catch {
    /* not every host has it */
  }
  return out;
}

async function osName(): Promise<string> {
  return (await readOsRelease()).PRETTY_NAME ?? 'Linux';
}
async function osVersion(): Promise<string> {
  return (await readOsRelease()).VERSION_ID ?? '';
}

/** cgroup v2 only when the unified hierarchy is mounted at /sys/fs/cgroup itself. */
export async function detectCgroupVersion(): Promise<'1' | '2'> {
  try {
    await fsp.access('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    return '1';
  }
}
