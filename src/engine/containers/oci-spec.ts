import type { ContainerRecord } from './container-record.js';
import { InvalidParameterError } from '../../lib/errors.js';

/** Docker's default capability set. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const maskedPaths = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const defaultDeviceRules = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

/** "NET_ADMIN", "cap_net_admin", "ALL" → canonical names. */
export function normalizeCap(c: string): string {
  const up = c.toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : 'CAP_' + up;
  if (!ALL_CAPS.includes(name)) throw new InvalidParameterError(`unknown capability: "${c}"`);
  return name;
}

/** Docker's rule: start from the defaults (or all), add CapAdd, remove CapDrop. */
export function effectiveCaps(privileged: boolean, add: string[] | null, drop: string[] | null): string[] {
  if (privileged) return [...ALL_CAPS];
  const adds = (add ?? []).map(normalizeCap);
  const drops = (drop ?? []).map(normalizeCap);
  let caps = adds.includes('ALL') ? [...ALL_CAPS] : [...DEFAULT_CAPS];
  if (drops.includes('ALL')) caps = [];
  for (const a of adds) if (a !== 'ALL' && !caps.includes(a)) caps.push(a);
  return caps.filter((c) => !drops.includes(c) || adds.includes(c));
}

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface SpecInput {
  record: ContainerRecord;
  rootfs: string;
  user: ProcessUser;
  /** `none`/default: a new network namespace; `host`: the host's; a path: join that one. */
  network: { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };
  cgroupParent: string;
  /** The overlay mounted at "/" by the runtime (see OverlayRootfs.rootMount); absent when `rootfs` is already mounted. */
  rootMount?: Record<string, unknown>;
  /** Ulimits already clamped to what the daemon may set. */
  rlimits?: { type: string; hard: number; soft: number }[];
}

/** The OCI runtime spec (config.json) for a container, from its record. Pure. */
export function buildSpec(input: SpecInput): Record<string, unknown> {
  const { record, user } = input;
  const c = record.Config;
  const hc = record.HostConfig;
  const caps = effectiveCaps(hc.Privileged, hc.CapAdd, hc.CapDrop);
  const env = [...c.Env];
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.unshift(`HOSTNAME=${c.Hostname}`);
  if (c.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');

  const mounts: Record<string, unknown>[] = [
    ...(input.rootMount ? [input.rootMount] : []),
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', hc.Privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', hc.Privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${hc.ShmSize}`] },
  ];
  const userDests = new Set(record.Mounts.map((m) => m.Destination));
  for (const [dest, src] of [
    ['/etc/resolv.conf', record.ResolvConfPath],
    ['/etc/hostname', record.HostnamePath],
    ['/etc/hosts', record.HostsPath],
  ]) {
    if (!userDests.has(dest)) mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate'] });
  }
  for (const m of record.Mounts) {
    if (m.Type === 'tmpfs') {
      const opts = m.Mode ? m.Mode.split(',') : [];
      mounts.push({ destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...opts] });
    } else {
      const opts = ['rbind', m.Propagation || 'rprivate'];
      if (!m.RW) opts.push('ro');
      mounts.push({ destination: m.Destination, type: 'bind', source: m.Source, options: opts });
    }
  }

  const namespaces: Record<string, string>[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.network.mode === 'new') namespaces.push({ type: 'network' });
  else if (input.network.mode === 'path') namespaces.push({ type: 'network', path: input.network.path });

  const resources: Record<string, unknown> = {
    devices: hc.Privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules,
  };
  Object.assign(resources, resourceLimits(hc));

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: c.Tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: [record.Path, ...record.Args],
      env,
      cwd: c.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: input.rlimits ?? [],
      noNewPrivileges: false,
      ...(c.Tty && hc.ConsoleSize && hc.ConsoleSize[0] > 0 ? { consoleSize: { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } } : {}),
    },
    root: { path: input.rootfs, readonly: hc.ReadonlyRootfs },
    hostname: c.Hostname,
    mounts,
    linux: {
      namespaces,
      cgroupsPath: `${input.cgroupParent}/${record.Id}`,
      resources,
      maskedPaths: hc.Privileged ? [] : maskedPaths,
      readonlyPaths: hc.Privileged ? [] : readonlyPaths,
    },
  };
}

/** Parses /etc/passwd and /etc/group text to resolve Config.User ("name", "uid", "name:group", "uid:gid"). */
export function resolveUser(spec: string, passwd: string, group: string, groupAdd: string[] = []): ProcessUser {
  const users = passwd.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  const groups = group.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  const [u, g] = spec ? spec.split(':', 2) : ['', undefined];
  let uid = 0;
  let gid = 0;
  let name = 'root';
  if (u) {
    const byName = users.find((x) => x[0] === u);
    const byId = /^\d+$/.test(u) ? users.find((x) => x[2] === u) : undefined;
    const entry = byName ?? byId;
    if (entry) {
      uid = Number(entry[2]);
      gid = Number(entry[3]);
      name = entry[0];
    } else if (/^\d+$/.test(u)) {
      uid = Number(u);
      name = '';
    } else {
      throw new InvalidParameterError(`unable to find user ${u}: no matching entries in passwd file`);
    }
  } else {
    const root = users.find((x) => x[2] === '0');
    if (root) gid = Number(root[3]);
  }
  if (g !== undefined && g !== '') {
    const ge = groups.find((x) => x[0] === g) ?? (/^\d+$/.test(g) ? groups.find((x) => x[2] === g) : undefined);
    if (ge) gid = Number(ge[2]);
    else if (/^\d+$/.test(g)) gid = Number(g);
    else throw new InvalidParameterError(`unable to find group ${g}: no matching entries in group file`);
  }
  const extra = new Set<number>();
  if (name && g === undefined) {
    for (const ge of groups) if ((ge[3] ?? '').split(',').includes(name)) extra.add(Number(ge[2]));
  }
  for (const ga of groupAdd) {
    const ge = groups.find((x) => x[0] === ga);
    if (ge) extra.add(Number(ge[2]));
    else if (/^\d+$/.test(ga)) extra.add(Number(ga));
    else throw new InvalidParameterError(`unable to find group ${ga}: no matching entries in group file`);
  }
  extra.delete(gid);
  return { uid, gid, additionalGids: [gid, ...extra] };
}

/** Memory, CPU and pids limits as OCI LinuxResources (also what `runc update` takes). */
export function resourceLimits(hc: ContainerRecord['HostConfig']): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const memory: Record<string, unknown> = {};
  if (hc.Memory > 0) memory.limit = hc.Memory;
  if (hc.MemoryReservation > 0) memory.reservation = hc.MemoryReservation;
  if (hc.MemorySwap > 0 || hc.MemorySwap === -1) memory.swap = hc.MemorySwap;
  else if (hc.Memory > 0 && !hc.MemorySwap) memory.swap = hc.Memory * 2;
  if (hc.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length) resources.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (hc.NanoCpus) {
    cpu.period = 100000;
    cpu.quota = Math.round((hc.NanoCpus * 100000) / 1e9);
  } else {
    if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
    if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  }
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) resources.pids = { limit: hc.PidsLimit };
  return resources;
}
