/**
 * `run` / `create` options: the flag table (docker's containerOptions) and the pure
 * mapping from those options to the ContainerCreate body (Config + HostConfig +
 * NetworkingConfig), the way the docker CLI builds it. Reading env/label files goes
 * through an injected reader so the mapping is testable without a filesystem.
 */
import * as path from 'node:path';
import { parseBytes } from '../lib/human.js';
import { parseGoBool, type FlagSpec, type ParsedFlags } from './flags.js';

/** A problem with the options: run/create print it with "Run '... --help'" and exit 125. */
export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

const isIP = (s: string): boolean => /^(\d{1,3}\.){3}\d{1,3}$/.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+(%\w+)?$/.test(s));

/** The flags shared by run and create (docker's addFlags). */
export const containerFlags: FlagSpec[] = [
  { name: 'add-host', kind: 'list', usage: 'Add a custom host-to-IP mapping (host:ip)', validate: validateExtraHost },
  { name: 'annotation', kind: 'list', typeName: 'map', usage: 'Add an annotation to the container (passed through to the OCI runtime)', defaultText: 'map[]' },
  { name: 'attach', short: 'a', kind: 'list', usage: 'Attach to STDIN, STDOUT or STDERR', validate: validateAttach },
  { name: 'blkio-weight', kind: 'uint', typeName: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { name: 'blkio-weight-device', kind: 'list', usage: 'Block IO weight (relative device weight)', defaultText: '[]' },
  { name: 'cap-add', kind: 'list', usage: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', usage: 'Drop Linux capabilities' },
  { name: 'cgroup-parent', kind: 'string', usage: 'Optional parent cgroup for the container' },
  {
    name: 'cgroupns',
    kind: 'string',
    usage:
      "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
  },
  { name: 'cidfile', kind: 'string', usage: 'Write the container ID to the file' },
  { name: 'cpu-count', kind: 'int', usage: 'CPU count (Windows only)' },
  { name: 'cpu-percent', kind: 'int', usage: 'CPU percent (Windows only)' },
  { name: 'cpu-period', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', kind: 'int', usage: 'Limit CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', kind: 'int', usage: 'Limit CPU real-time runtime in microseconds' },
  { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'string', typeName: 'decimal', usage: 'Number of CPUs', validate: (v) => (parseCpus(v) === undefined ? `failed to parse ${v} as a rational number` : undefined) },
  { name: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'device', kind: 'list', usage: 'Add a host device to the container' },
  { name: 'device-cgroup-rule', kind: 'list', usage: 'Add a rule to the cgroup allowed devices list' },
  { name: 'device-read-bps', kind: 'list', usage: 'Limit read rate (bytes per second) from a device', defaultText: '[]' },
  { name: 'device-read-iops', kind: 'list', usage: 'Limit read rate (IO per second) from a device', defaultText: '[]' },
  { name: 'device-write-bps', kind: 'list', usage: 'Limit write rate (bytes per second) to a device', defaultText: '[]' },
  { name: 'device-write-iops', kind: 'list', usage: 'Limit write rate (IO per second) to a device', defaultText: '[]' },
  { name: 'dns', kind: 'list', usage: 'Set custom DNS servers', validate: (v) => (isIP(v) ? undefined : `IP address is not correctly formatted: ${v}`) },
  { name: 'dns-opt', kind: 'list', usage: 'Set DNS options', hidden: true, dest: 'dns-option' },
  { name: 'dns-option', kind: 'list', usage: 'Set DNS options' },
  { name: 'dns-search', kind: 'list', usage: 'Set custom DNS search domains' },
  { name: 'domainname', kind: 'string', usage: 'Container NIS domain name' },
  { name: 'entrypoint', kind: 'string', usage: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables', validate: (v) => (v.split('=')[0] === '' ? `invalid environment variable: ${v}` : undefined) },
  { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
  { name: 'expose', kind: 'list', usage: 'Expose a port or a range of ports' },
  { name: 'gpus', kind: 'string', typeName: 'gpu-request', usage: "GPU devices to add to the container ('all' to pass all GPUs)" },
  { name: 'group-add', kind: 'list', usage: 'Add additional groups to join' },
  { name: 'health-cmd', kind: 'string', usage: 'Command to run to check health' },
  { name: 'health-interval', kind: 'duration', usage: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', kind: 'int', usage: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-interval', kind: 'duration', usage: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'health-start-period', kind: 'duration', usage: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', kind: 'duration', usage: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'hostname', short: 'h', kind: 'string', usage: 'Container host name' },
  { name: 'init', kind: 'bool', usage: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
  { name: 'io-maxbandwidth', kind: 'bytes', usage: 'Maximum IO bandwidth limit for the system drive (Windows only)' },
  { name: 'io-maxiops', kind: 'uint', usage: 'Maximum IOps limit for the system drive (Windows only)' },
  { name: 'ip', kind: 'string', usage: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ip6', kind: 'string', usage: 'IPv6 address (e.g., 2001:db8::33)' },
  { name: 'ipc', kind: 'string', usage: 'IPC mode to use' },
  { name: 'isolation', kind: 'string', usage: 'Container isolation technology' },
  { name: 'kernel-memory', kind: 'bytes', usage: 'Kernel memory limit' },
  { name: 'label', short: 'l', kind: 'list', usage: 'Set meta data on a container', validate: (v) => (v.split('=')[0].trim() === '' ? `invalid label '${v}': empty name` : undefined) },
  { name: 'label-file', kind: 'list', usage: 'Read in a line delimited file of labels' },
  { name: 'link', kind: 'list', usage: 'Add link to another container' },
  { name: 'link-local-ip', kind: 'list', usage: 'Container IPv4/IPv6 link-local addresses' },
  { name: 'log-driver', kind: 'string', usage: 'Logging driver for the container' },
  { name: 'log-opt', kind: 'list', usage: 'Log driver options' },
  { name: 'mac-address', kind: 'string', usage: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'memory', short: 'm', kind: 'bytes', usage: 'Memory limit' },
  { name: 'memory-reservation', kind: 'bytes', usage: 'Memory soft limit' },
  {
    name: 'memory-swap',
    kind: 'string',
    typeName: 'bytes',
    usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    validate: (v) => (v === '-1' || safeBytes(v) !== undefined ? undefined : `invalid size: '${v}'`),
  },
  { name: 'memory-swappiness', kind: 'int', usage: 'Tune container memory swappiness (0 to 100)', default: -1, defaultText: '-1' },
  { name: 'mount', kind: 'list', typeName: 'mount', usage: 'Attach a filesystem mount to the container', validate: (v) => mountComplaint(v) },
  { name: 'name', kind: 'string', usage: 'Assign a name to the container' },
  { name: 'net', kind: 'list', typeName: 'network', usage: 'Connect a container to a network', hidden: true, dest: 'network' },
  { name: 'net-alias', kind: 'list', usage: 'Add network-scoped alias for the container', hidden: true, dest: 'network-alias' },
  { name: 'network', kind: 'list', typeName: 'network', usage: 'Connect a container to a network' },
  { name: 'network-alias', kind: 'list', usage: 'Add network-scoped alias for the container' },
  { name: 'no-healthcheck', kind: 'bool', usage: 'Disable any container-specified HEALTHCHECK' },
  { name: 'oom-kill-disable', kind: 'bool', usage: 'Disable OOM Killer' },
  { name: 'oom-score-adj', kind: 'int', usage: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'pid', kind: 'string', usage: 'PID namespace to use' },
  { name: 'pids-limit', kind: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
  { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to this container' },
  { name: 'publish', short: 'p', kind: 'list', usage: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', kind: 'bool', usage: 'Publish all exposed ports to random ports' },
  { name: 'pull', kind: 'string', usage: 'Pull image before running ("always", "missing", "never")', default: 'missing', defaultText: '"missing"' },
  { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the pull output' },
  { name: 'read-only', kind: 'bool', usage: "Mount the container's root filesystem as read only" },
  { name: 'restart', kind: 'string', usage: 'Restart policy to apply when a container exits', default: 'no', defaultText: '"no"' },
  { name: 'rm', kind: 'bool', usage: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'runtime', kind: 'string', usage: 'Runtime to use for this container' },
  { name: 'security-opt', kind: 'list', usage: 'Security Options' },
  { name: 'shm-size', kind: 'bytes', usage: 'Size of /dev/shm' },
  { name: 'stop-signal', kind: 'string', usage: 'Signal to stop the container' },
  { name: 'stop-timeout', kind: 'int', usage: 'Timeout (in seconds) to stop a container' },
  { name: 'storage-opt', kind: 'list', usage: 'Storage driver options for the container' },
  { name: 'sysctl', kind: 'list', typeName: 'map', usage: 'Sysctl options', defaultText: 'map[]', validate: (v) => (v.includes('=') ? undefined : `sysctl '${v}' is not allowed`) },
  { name: 'tmpfs', kind: 'list', usage: 'Mount a tmpfs directory' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
  { name: 'ulimit', kind: 'list', typeName: 'ulimit', usage: 'Ulimit options', defaultText: '[]', validate: (v) => (parseUlimit(v) ? undefined : `invalid ulimit argument: ${v}`) },
  { name: 'use-api-socket', kind: 'bool', usage: 'Bind mount Docker API socket and required auth' },
  { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'userns', kind: 'string', usage: 'User namespace to use' },
  { name: 'uts', kind: 'string', usage: 'UTS namespace to use' },
  { name: 'volume', short: 'v', kind: 'list', usage: 'Bind mount a volume' },
  { name: 'volume-driver', kind: 'string', usage: 'Optional volume driver for the container' },
  { name: 'volumes-from', kind: 'list', usage: 'Mount volumes from the specified container(s)' },
  { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', default: true, defaultText: 'true' },
];

/** Flags only `run` has. */
export const runOnlyFlags: FlagSpec[] = [
  { name: 'detach', short: 'd', kind: 'bool', usage: 'Run container in background and print container ID' },
  { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
  { name: 'sig-proxy', kind: 'bool', usage: 'Proxy received signals to the process', default: true, defaultText: 'true' },
  { name: 'help', kind: 'bool', usage: 'Print usage' },
];

/** What `run`/`create` were asked to do, typed (the wiring's output). */
export interface ContainerOptions {
  image: string;
  args: string[];
  name: string;
  pull: string;
  quiet: boolean;
  platform: string;
  /** The flag values as parsed (the body mapping reads them). */
  flags: ParsedFlags;
}

/** Dependencies of the mapping, injected for tests. */
export interface MappingEnv {
  /** Looks up the client's environment (`-e VAR` without a value). */
  getenv(name: string): string | undefined;
  readFile(file: string): string;
  cwd: string;
  /** [height, width] of the client's terminal, or [0, 0]. */
  consoleSize: [number, number];
}

export interface CreateRequest {
  body: Record<string, any>;
  name: string;
  platform: string;
  cidfile: string;
}

function safeBytes(v: string): number | undefined {
  try {
    const n = parseBytes(v);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function validateExtraHost(v: string): string | undefined {
  // host:ip or host=ip (docker 25+); the IP may be IPv6 (contains colons) or host-gateway.
  const sep = v.includes('=') ? v.indexOf('=') : v.indexOf(':');
  if (sep <= 0) return `bad format for add-host: "${v}"`;
  let ip = v.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== 'host-gateway' && !isIP(ip)) return `invalid IP address in add-host: "${ip}"`;
  return undefined;
}

function validateAttach(v: string): string | undefined {
  return ['stdin', 'stdout', 'stderr'].includes(v.toLowerCase()) ? undefined : 'valid streams are STDIN, STDOUT and STDERR';
}

/** docker's --cpus (a decimal number of CPUs) in nano CPUs. */
export function parseCpus(v: string): number | undefined {
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) return undefined;
  return Math.round(Number(v) * 1e9);
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** `nofile=1024:2048` or `nofile=1024`. */
export function parseUlimit(v: string): Ulimit | undefined {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) return undefined;
  const soft = Number(m[2]);
  const hard = m[3] !== undefined ? Number(m[3]) : soft;
  if (soft > hard && hard !== -1) return undefined;
  return { Name: m[1], Soft: soft, Hard: hard };
}

/** Splits one CSV record (docker's --mount uses encoding/csv). */
function csvFields(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted) {
      if (c === '"' && v[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses a --mount value into an API Mount (docker's MountOpt.Set). */
export function parseMount(v: string, cwd = process.cwd()): Record<string, any> {
  const mount: Record<string, any> = { Type: 'volume' };
  const bindOptions = (): Record<string, any> => (mount.BindOptions ??= {});
  const volumeOptions = (): Record<string, any> => (mount.VolumeOptions ??= { Labels: {}, DriverConfig: {} });
  const tmpfsOptions = (): Record<string, any> => (mount.TmpfsOptions ??= {});
  const bool = (key: string, val: string): boolean => {
    const b = parseGoBool(val);
    if (b === undefined) throw new OptionError(`invalid value for ${key}: ${val}`);
    return b;
  };
  for (const field of csvFields(v)) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new OptionError(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = !path.isAbsolute(val) && val.startsWith('.') ? path.resolve(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, val);
        break;
      case 'bind-recursive':
        if (val === 'disabled') bindOptions().NonRecursive = true;
        else if (val === 'writable') bindOptions().ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bindOptions().ReadOnlyForceRecursive = true;
        else if (val !== 'enabled') throw new OptionError(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = bool(key, val);
        break;
      case 'volume-label': {
        const [k, ...rest] = val.split('=');
        if (k) volumeOptions().Labels[k] = rest.join('=');
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig.Name = val;
        break;
      case 'volume-opt': {
        const [k, ...rest] = val.split('=');
        const dc = volumeOptions().DriverConfig;
        dc.Options ??= {};
        if (k) dc.Options[k] = rest.join('=');
        break;
      }
      case 'tmpfs-size': {
        const n = safeBytes(val);
        if (n === undefined) throw new OptionError(`invalid value for ${key}: ${val}`);
        tmpfsOptions().SizeBytes = n;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val)) throw new OptionError(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      }
      default:
        throw new OptionError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!mount.Type) throw new OptionError('type is required');
  if (!mount.Target) throw new OptionError('target is required');
  if (mount.Type === 'bind' && mount.VolumeOptions) throw new OptionError(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.Type === 'tmpfs' && mount.Source) throw new OptionError(`invalid mount config for type "tmpfs": source must not be specified`);
  if (mount.Type !== 'bind' && mount.BindOptions) throw new OptionError(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.Type !== 'tmpfs' && mount.TmpfsOptions) throw new OptionError(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  return mount;
}

function mountComplaint(v: string): string | undefined {
  try {
    parseMount(v);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** docker's opts.ParseRestartPolicy. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const k = colon >= 0 ? policy.slice(0, colon) : policy;
  const v = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && k === '') throw new OptionError('invalid restart policy format: no policy provided before colon');
  let count = 0;
  if (v !== '') {
    if (!/^[+-]?\d+$/.test(v)) throw new OptionError('invalid restart policy format: maximum retry count must be an integer');
    count = Number(v);
  }
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(k)) {
    throw new OptionError(`invalid restart policy '${k}'`);
  }
  if (count !== 0 && k !== 'on-failure') throw new OptionError(`maximum retry count can only be used with 'on-failure'`);
  return { Name: k, MaximumRetryCount: count };
}

export interface PortMapping {
  port: string; // "80/tcp"
  hostIp: string;
  hostPort: string;
}

function parsePortRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  if (a > 65535 || b > 65535 || b < a) return undefined;
  return [a, b];
}

function splitProtoPort(raw: string): [string, string] {
  const i = raw.indexOf('/');
  if (i < 0) return ['tcp', raw];
  const proto = raw.slice(i + 1);
  return [proto === '' ? 'tcp' : proto, raw.slice(0, i)];
}

/** docker's nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, with ranges. */
export function parsePortSpec(raw: string): PortMapping[] {
  const parts = raw.split(':');
  const n = parts.length;
  let ip = '';
  let hostPort = '';
  let containerPort = parts[n - 1];
  if (n === 2) hostPort = parts[0];
  else if (n === 3) [ip, hostPort] = parts;
  else if (n > 3) {
    ip = parts.slice(0, n - 2).join(':');
    hostPort = parts[n - 2];
  }
  let proto: string;
  [proto, containerPort] = splitProtoPort(containerPort);
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new OptionError(`invalid IP address ${ip}: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && !isIP(ip)) throw new OptionError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new OptionError(`no port specified: ${raw}<empty>`);
  const cr = parsePortRange(containerPort);
  if (!cr) throw new OptionError(`invalid containerPort: ${containerPort}`);
  let hr: [number, number] = [0, 0];
  if (hostPort !== '') {
    const r = parsePortRange(hostPort);
    if (!r) throw new OptionError(`invalid hostPort: ${hostPort}`);
    hr = r;
  }
  if (hostPort !== '' && cr[1] - cr[0] !== hr[1] - hr[0] && cr[1] !== cr[0]) {
    throw new OptionError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  proto = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new OptionError(`invalid proto: ${proto}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= cr[1] - cr[0]; i++) {
    let hp = hostPort === '' ? '' : String(hr[0] + i);
    if (cr[0] === cr[1] && hr[0] !== hr[1]) hp = `${hr[0]}-${hr[1]}`;
    out.push({ port: `${cr[0] + i}/${proto}`, hostIp: ip, hostPort: hp });
  }
  return out;
}

/** docker's convertToStandardNotation: `published=8080,target=80,protocol=udp`. */
function standardPortNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of spec.split(',')) {
    const i = param.indexOf('=');
    if (i <= 0) throw new OptionError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, i)] = param.slice(i + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

/**
 * docker's kvfile.Parse: KEY=VALUE lines, `#` comments, blank lines; a bare KEY takes
 * the value from `lookup` (env files) or is kept as is (label files).
 */
export function parseKvFile(file: string, content: string, lookup?: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = eq >= 0 ? line.slice(0, eq) : line;
    if (/\s/.test(variable)) throw new OptionError(`variable '${variable.replace(/\s+$/, '')}' contains whitespaces`);
    if (variable === '') throw new OptionError(`no variable name on line '${line}'`);
    if (line.includes('\uFFFD')) throw new OptionError(`env file ${file} contains invalid utf8 bytes at line ${idx + 1}: ${JSON.stringify(raw)}`);
    if (eq >= 0) out.push(line);
    else if (lookup) {
      const v = lookup(variable);
      if (v !== undefined) out.push(`${variable}=${v}`);
    } else out.push(line);
  });
  return out;
}

function kvToMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

const nonUserDefinedNetworks = ['default', 'bridge', 'host', 'none'];
function isUserDefinedNetwork(n: string): boolean {
  return !nonUserDefinedNetworks.includes(n) && !n.startsWith('container:');
}

/** A --network value: a name or the advanced CSV form `name=x,alias=y,ip=z`. */
function parseNetworkValue(v: string): { target: string; aliases: string[]; ip: string; ip6: string; mac: string; linkLocalIps: string[]; driverOpts: Record<string, string>; gwPriority: number } {
  const out = { target: v, aliases: [] as string[], ip: '', ip6: '', mac: '', linkLocalIps: [] as string[], driverOpts: {} as Record<string, string>, gwPriority: 0 };
  if (!v.includes('=')) return out;
  out.target = '';
  for (const field of csvFields(v)) {
    const i = field.indexOf('=');
    const key = field.slice(0, i).toLowerCase();
    const val = field.slice(i + 1);
    switch (key) {
      case 'name':
        out.target = val;
        break;
      case 'alias':
        out.aliases.push(val);
        break;
      case 'ip':
        out.ip = val;
        break;
      case 'ip6':
        out.ip6 = val;
        break;
      case 'mac-address':
        out.mac = val;
        break;
      case 'link-local-ip':
        out.linkLocalIps.push(val);
        break;
      case 'driver-opt': {
        const [k, ...rest] = val.split('=');
        out.driverOpts[k] = rest.join('=');
        break;
      }
      case 'gw-priority':
        out.gwPriority = Number(val);
        break;
      default:
        throw new OptionError(`invalid field key ${key}`);
    }
  }
  return out;
}

/** The flags → typed options step of run/create. */
export function containerOptionsFromFlags(flags: ParsedFlags): ContainerOptions {
  const [image, ...args] = flags.args;
  return {
    image,
    args,
    name: flags.string('name'),
    pull: flags.string('pull'),
    quiet: flags.bool('quiet'),
    platform: flags.string('platform'),
    flags,
  };
}

/**
 * Builds the ContainerCreate request body as the docker CLI does (cli/command/container
 * /opts.go parse()). `detach` clears the Attach* fields as `run -d` does.
 */
export function buildCreateRequest(opts: ContainerOptions, env: MappingEnv, mode: { detach: boolean }): CreateRequest {
  const f = opts.flags;
  if (!['always', 'missing', 'never', ''].includes(opts.pull)) {
    throw new OptionError(`invalid pull option: '${opts.pull}': must be one of "always", "missing" or "never"`);
  }
  const attach = f.list('attach').map((a) => a.toLowerCase());
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  const stdin = f.bool('interactive');
  if (stdin) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  const swappiness = f.number('memory-swappiness') ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new OptionError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }

  // -v: anything with a source is a bind (or named volume); a lone path is an anonymous volume.
  const volumes: Record<string, object> = {};
  const binds: string[] = [];
  for (const spec of f.list('volume')) {
    const parts = splitVolumeSpec(spec);
    if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) throw new OptionError(`invalid spec: ${spec}: ${parts.length > 3 ? 'too many colons' : 'empty section between colons'}`);
    if (parts.length === 1) {
      volumes[parts[0]] = {};
      continue;
    }
    if (parts.length === 2 && !parts[1].startsWith('/') && parts[0].startsWith('/')) {
      // "/dst:ro" form: an anonymous volume with a mode.
      volumes[parts[0]] = {};
      continue;
    }
    let host = parts[0];
    if (!path.isAbsolute(host) && host.startsWith('.')) host = path.resolve(env.cwd, host);
    binds.push([host, ...parts.slice(1)].join(':'));
  }

  const tmpfs: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const i = t.indexOf(':');
    if (i < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, i)] = t.slice(i + 1);
  }

  let entrypoint: string[] | undefined;
  if (f.string('entrypoint') !== '') entrypoint = [f.string('entrypoint')];
  else if (f.has('entrypoint')) entrypoint = [''];

  // Ports: -p mappings plus --expose.
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of f.list('publish')) {
    for (const m of parsePortSpec(standardPortNotation(p))) {
      exposed[m.port] = {};
      (bindings[m.port] ??= []).push({ HostIp: m.hostIp, HostPort: m.hostPort });
    }
  }
  for (const e of f.list('expose')) {
    if (e.includes(':')) throw new OptionError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    const r = parsePortRange(port);
    if (!r) throw new OptionError(`invalid range format for --expose: ${e}, error: invalid syntax`);
    for (let i = r[0]; i <= r[1]; i++) exposed[`${i}/${proto.toLowerCase()}`] ??= {};
  }

  const devices = f.list('device').map(parseDevice);
  // --gpus asks the daemon for GPU devices; berth has none, the daemon decides.
  const deviceRequests = f.string('gpus') ? [{ Driver: '', Count: f.string('gpus') === 'all' ? -1 : 0, Capabilities: [['gpu']], Options: {} }] : undefined;
  if (f.bool('use-api-socket')) throw new OptionError('flag --use-api-socket is not supported by berth yet');

  // Environment: env files first, then -e (which may override).
  const envVars: string[] = [];
  for (const file of f.list('env-file')) envVars.push(...parseKvFile(file, readOrThrow(env, file), env.getenv));
  for (const e of f.list('env')) {
    if (e.includes('=')) envVars.push(e);
    else {
      const v = env.getenv(e);
      envVars.push(v === undefined ? e : `${e}=${v}`);
    }
  }
  const labels: string[] = [];
  for (const file of f.list('label-file')) labels.push(...parseKvFile(file, readOrThrow(env, file)));
  labels.push(...f.list('label'));

  const restartPolicy = parseRestartPolicy(f.has('restart') ? f.string('restart') : '');
  const logOpts = kvToMap(f.list('log-opt'));
  if (Object.keys(logOpts).length > 0 && f.string('log-driver') === 'none') {
    throw new OptionError('invalid logging opts for driver none');
  }
  const securityOpt: string[] = [];
  for (const o of f.list('security-opt')) {
    if (o === 'systempaths=unconfined') continue;
    if (!o.includes('=') && !o.includes(':') && o !== 'no-new-privileges') throw new OptionError(`Invalid --security-opt: "${o}"`);
    securityOpt.push(o);
  }
  const storageOpt: Record<string, string> = {};
  for (const o of f.list('storage-opt')) {
    const i = o.indexOf('=');
    if (i < 0) throw new OptionError(`invalid storage option`);
    storageOpt[o.slice(0, i)] = o.slice(i + 1);
  }

  // Healthcheck.
  let healthcheck: Record<string, unknown> | undefined;
  const interval = f.number('health-interval') ?? 0;
  const timeout = f.number('health-timeout') ?? 0;
  const startPeriod = f.number('health-start-period') ?? 0;
  const startInterval = f.number('health-start-interval') ?? 0;
  const retries = f.number('health-retries') ?? 0;
  const haveHealth = f.string('health-cmd') !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (f.bool('no-healthcheck')) {
    if (haveHealth) throw new OptionError('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    if (interval < 0) throw new OptionError('--health-interval cannot be negative');
    if (timeout < 0) throw new OptionError('--health-timeout cannot be negative');
    if (retries < 0) throw new OptionError('--health-retries cannot be negative');
    if (startPeriod < 0) throw new OptionError('--health-start-period cannot be negative');
    if (startInterval < 0) throw new OptionError('--health-start-interval cannot be negative');
    healthcheck = {
      Test: f.string('health-cmd') !== '' ? ['CMD-SHELL', f.string('health-cmd')] : undefined,
      Interval: interval,
      Timeout: timeout,
      StartPeriod: startPeriod,
      StartInterval: startInterval,
      Retries: retries,
    };
  }

  const memorySwapRaw = f.string('memory-swap');
  const memorySwap = memorySwapRaw === '' ? 0 : memorySwapRaw === '-1' ? -1 : (safeBytes(memorySwapRaw) ?? 0);
  const cpusRaw = f.string('cpus');
  const resources = {
    CgroupParent: f.string('cgroup-parent'),
    Memory: f.number('memory') ?? 0,
    MemoryReservation: f.number('memory-reservation') ?? 0,
    MemorySwap: memorySwap,
    MemorySwappiness: swappiness,
    OomKillDisable: f.bool('oom-kill-disable'),
    NanoCpus: cpusRaw === '' ? 0 : (parseCpus(cpusRaw) ?? 0),
    KernelMemory: f.number('kernel-memory') ?? 0,
    CpuCount: f.number('cpu-count') ?? 0,
    CpuPercent: f.number('cpu-percent') ?? 0,
    IOMaximumIOps: f.number('io-maxiops') ?? 0,
    IOMaximumBandwidth: f.number('io-maxbandwidth') ?? 0,
    CpuShares: f.number('cpu-shares') ?? 0,
    CpuPeriod: f.number('cpu-period') ?? 0,
    CpuQuota: f.number('cpu-quota') ?? 0,
    CpuRealtimePeriod: f.number('cpu-rt-period') ?? 0,
    CpuRealtimeRuntime: f.number('cpu-rt-runtime') ?? 0,
    CpusetCpus: f.string('cpuset-cpus'),
    CpusetMems: f.string('cpuset-mems'),
    PidsLimit: f.number('pids-limit') ?? 0,
    BlkioWeight: f.number('blkio-weight') ?? 0,
    Ulimits: f.list('ulimit').map((u) => parseUlimit(u)!),
    DeviceCgroupRules: f.list('device-cgroup-rule'),
    Devices: devices,
    DeviceRequests: deviceRequests,
  };

  const config: Record<string, any> = {
    Hostname: f.string('hostname'),
    Domainname: f.string('domainname'),
    User: f.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: f.bool('tty'),
    OpenStdin: stdin,
    StdinOnce: false,
    Env: envVars,
    Cmd: opts.args.length ? opts.args : undefined,
    Image: opts.image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    WorkingDir: f.string('workdir'),
    Entrypoint: entrypoint,
    MacAddress: f.string('mac-address') || undefined,
    Labels: kvToMap(labels),
    StopSignal: f.string('stop-signal') || undefined,
    StopTimeout: f.has('stop-timeout') ? f.number('stop-timeout') : undefined,
    Healthcheck: healthcheck,
  };
  // When allocating stdin in attached mode, close stdin at client disconnect.
  if (config.OpenStdin && config.AttachStdin) config.StdinOnce = true;
  if (mode.detach) {
    if (attach.length > 0) throw new OptionError('conflicting options: cannot specify both --attach and --detach');
    config.AttachStdin = false;
    config.AttachStdout = false;
    config.AttachStderr = false;
    config.StdinOnce = false;
  }

  const networks = f.list('network').map(parseNetworkValue);
  const networkMode = networks.length > 0 ? networks[0].target : 'default';
  const hostConfig: Record<string, any> = {
    Binds: binds.length ? binds : undefined,
    ContainerIDFile: f.string('cidfile'),
    LogConfig: { Type: f.string('log-driver'), Config: Object.keys(logOpts).length ? logOpts : undefined },
    NetworkMode: networkMode,
    PortBindings: Object.keys(bindings).length ? bindings : {},
    RestartPolicy: restartPolicy,
    AutoRemove: f.bool('rm'),
    VolumeDriver: f.string('volume-driver'),
    VolumesFrom: f.list('volumes-from').length ? f.list('volumes-from') : undefined,
    ConsoleSize: env.consoleSize,
    Annotations: f.list('annotation').length ? kvToMap(f.list('annotation')) : undefined,
    CapAdd: f.list('cap-add').length ? f.list('cap-add') : undefined,
    CapDrop: f.list('cap-drop').length ? f.list('cap-drop') : undefined,
    CgroupnsMode: f.string('cgroupns'),
    Dns: f.list('dns'),
    DnsOptions: f.list('dns-option'),
    DnsSearch: f.list('dns-search'),
    ExtraHosts: f.list('add-host').length ? f.list('add-host') : undefined,
    GroupAdd: f.list('group-add').length ? f.list('group-add') : undefined,
    IpcMode: f.string('ipc'),
    Links: f.list('link').length ? f.list('link') : undefined,
    OomScoreAdj: f.number('oom-score-adj') ?? 0,
    PidMode: f.string('pid'),
    Privileged: f.bool('privileged'),
    PublishAllPorts: f.bool('publish-all'),
    ReadonlyRootfs: f.bool('read-only'),
    SecurityOpt: securityOpt.length ? securityOpt : undefined,
    StorageOpt: Object.keys(storageOpt).length ? storageOpt : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    UTSMode: f.string('uts'),
    UsernsMode: f.string('userns'),
    ShmSize: f.number('shm-size') ?? 0,
    Sysctls: f.list('sysctl').length ? kvToMap(f.list('sysctl')) : undefined,
    Runtime: f.string('runtime') || undefined,
    Isolation: f.string('isolation'),
    ...resources,
    Mounts: f.list('mount').length ? f.list('mount').map((m) => parseMount(m, env.cwd)) : undefined,
    Init: f.has('init') ? f.bool('init') : undefined,
  };
  if (f.list('security-opt').includes('systempaths=unconfined')) {
    hostConfig.MaskedPaths = [];
    hostConfig.ReadonlyPaths = [];
  }
  if (hostConfig.AutoRemove && restartPolicy.Name !== '' && restartPolicy.Name !== 'no') {
    throw new OptionError('conflicting options: cannot specify both --restart and --rm');
  }

  // Networking: endpoint settings for the (first) network, as parseNetworkOpts does.
  const aliases = f.list('network-alias');
  const endpoints: Record<string, Record<string, unknown>> = {};
  const endpointFor = (n: ReturnType<typeof parseNetworkValue>, first: boolean): Record<string, unknown> | undefined => {
    if (n.target.trim() === '') throw new OptionError('no name set for network');
    const nAliases = [...n.aliases];
    let ip = n.ip;
    let ip6 = n.ip6;
    let mac = n.mac;
    const linkLocal = [...n.linkLocalIps];
    if (first) {
      if (nAliases.length && aliases.length) throw new OptionError('conflicting options: cannot specify both --network-alias and per-network alias');
      if (ip && f.string('ip')) throw new OptionError('conflicting options: cannot specify both --ip and per-network IPv4 address');
      if (ip6 && f.string('ip6')) throw new OptionError('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
      nAliases.push(...aliases);
      ip ||= f.string('ip');
      ip6 ||= f.string('ip6');
      mac ||= f.string('mac-address');
      linkLocal.push(...f.list('link-local-ip'));
    }
    if (!isUserDefinedNetwork(n.target) && nAliases.length) throw new OptionError('network-scoped aliases are only supported for user-defined networks');
    const ep: Record<string, unknown> = {};
    if (nAliases.length) ep.Aliases = nAliases;
    if (Object.keys(n.driverOpts).length) ep.DriverOpts = n.driverOpts;
    if (first && isUserDefinedNetwork(n.target) && f.list('link').length) ep.Links = f.list('link');
    if (ip || ip6 || linkLocal.length) ep.IPAMConfig = dropUndefined({ IPv4Address: ip || undefined, IPv6Address: ip6 || undefined, LinkLocalIPs: linkLocal.length ? linkLocal : undefined });
    if (mac) ep.MacAddress = mac;
    if (n.gwPriority) ep.GwPriority = n.gwPriority;
    return ep;
  };
  if (networks.length === 0) {
    endpoints.default = endpointFor(parseNetworkValue('default'), true)!;
  } else {
    let userDefined = false;
    let nonUserDefined = false;
    networks.forEach((n, i) => {
      if (isUserDefinedNetwork(n.target)) userDefined = true;
      else nonUserDefined = true;
      const ep = endpointFor(n, i === 0)!;
      if (endpoints[n.target]) throw new OptionError(`network "${n.target}" is specified multiple times`);
      // A single network without options: the daemon makes the endpoint itself.
      if (i === 0 && networks.length === 1 && Object.keys(ep).length === 0) return;
      endpoints[n.target] = ep;
    });
    if (userDefined && nonUserDefined) throw new OptionError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }

  const body = { ...dropUndefined(config), HostConfig: dropUndefined(hostConfig), NetworkingConfig: { EndpointsConfig: endpoints } };
  return { body, name: opts.name, platform: opts.platform, cidfile: f.string('cidfile') };
}

function readOrThrow(env: MappingEnv, file: string): string {
  try {
    return env.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OptionError(`open ${file}: no such file or directory`);
    if (code === 'EISDIR') throw new OptionError(`read ${file}: is a directory`);
    throw new OptionError(`open ${file}: ${(err as Error).message}`);
  }
}

/** `-v` values split on colons, keeping Windows-free semantics: src:dst[:mode]. */
function splitVolumeSpec(spec: string): string[] {
  return spec.split(':');
}

/** `--device /dev/x[:/dev/y[:rwm]]`. */
function parseDevice(v: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = v.split(':');
  let permissions = 'rwm';
  let dst = '';
  const src = parts[0];
  if (parts.length === 3) {
    dst = parts[1];
    permissions = parts[2];
  } else if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1])) permissions = parts[1];
    else dst = parts[1];
  } else if (parts.length > 3) throw new OptionError(`invalid device specification: ${v}`);
  if (!/^[rwm]+$/.test(permissions)) throw new OptionError(`invalid device specification: ${v}`);
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
