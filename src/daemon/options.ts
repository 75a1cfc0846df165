import { promises as fsp } from 'node:fs';
import { InvalidParameterError } from '../lib/errors.js';

/** berthd's settings: dockerd's flag names, the same keys in --config-file (daemon.json). */
export interface DaemonOptions {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: string;
  defaultRuntime: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  configFile?: string;
  /** TLS for tcp:// hosts: undefined = not said (TCP refused), false = explicitly off. */
  tls?: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Default bridge (`-b/--bridge`, default berth0; "none" disables it) and its address (`--bip`). */
  bridge: string;
  bip?: string;
  /** `--fixed-cidr`: the default bridge's dynamic addresses come from this sub-range. */
  fixedCidr?: string;
  /** `--default-address-pool base=CIDR,size=N`: where networks without --subnet get theirs. */
  defaultAddressPools: string[];
  mtu: number;
  /** `--iptables=false`: no NAT or filter rules (published ports do not work). */
  iptables: boolean;
  /** `--ip-forward=false`: leave net.ipv4.ip_forward as it is. */
  ipForward: boolean;
  /** `--insecure-registry`: registries (host[:port] or CIDR) reached without TLS verification. */
  insecureRegistries: string[];
  /** `--registry-mirror`: pull-through mirrors of docker.io. */
  registryMirrors: string[];
  /** Where docker.io is reached (berth-only; for air-gapped setups and tests). */
  dockerIoEndpoint: string;
}

export const defaultOptions = (): DaemonOptions => ({
  hosts: [],
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  pidfile: '',
  logLevel: 'info',
  defaultRuntime: 'runc',
  runtimes: {},
  tlsVerify: false,
  bridge: 'berth0',
  defaultAddressPools: [],
  mtu: 1500,
  iptables: true,
  ipForward: true,
  insecureRegistries: [],
  registryMirrors: [],
  dockerIoEndpoint: 'https://registry-1.docker.io',
});

const usage = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine daemon

Options:
      --add-runtime runtime        Register an additional OCI compatible runtime (name=path)
  -b, --bridge string              Attach containers to a network bridge (default "berth0"; "none": no default bridge)
      --bip string                 Specify network bridge IP (e.g. 10.200.0.1/24)
      --config-file string         Daemon configuration file
      --data-root string           Root directory of persistent berth state (default "/var/lib/berth")
      --default-address-pool pool  Default address pools for node specific local networks (base=CIDR,size=N)
      --docker-io-endpoint string  Registry endpoint serving docker.io (default "https://registry-1.docker.io")
  -D, --debug                      Enable debug mode
      --exec-root string           Root directory for execution state files (default "/run/berth")
      --fixed-cidr string          IPv4 subnet for fixed IPs
  -H, --host list                  Daemon socket(s) to connect to (default unix:///run/berth/berth.sock);
                                   tcp://HOST:PORT needs --tlsverify (or an explicit --tls=false)
      --insecure-registry list     Enable insecure registry communication
      --ip-forward                 Enable net.ipv4.ip_forward (default true)
      --iptables                   Enable addition of iptables rules (default true)
  -l, --log-level string           Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --mtu int                    Set the containers network MTU (default 1500)
  -p, --pidfile string             Path to use for daemon PID file (default "<exec-root>/berthd.pid")
      --registry-mirror list       Preferred registry mirror
      --runtime string             Default OCI runtime for containers (default "runc")
      --tls                        Use TLS; implied by --tlsverify
      --tlscacert string           Trust certs signed only by this CA
      --tlscert string             Path to TLS certificate file
      --tlskey string              Path to TLS key file
      --tlsverify                  Use TLS and verify the remote client
  -v, --version                    Print version information and quit
`;

export function daemonUsage(): string {
  return usage;
}

/** Parses berthd's command line; the config file's keys are those of dockerd's daemon.json. */
export async function parseDaemonArgs(argv: string[]): Promise<DaemonOptions | 'help' | 'version'> {
  const o = defaultOptions();
  const set: Partial<Record<keyof DaemonOptions, boolean>> = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = (): string => {
      if (val !== undefined) return val;
      const v = argv[++i];
      if (v === undefined) throw new InvalidParameterError(`flag needs an argument: ${a}`);
      return v;
    };
    switch (a) {
      case '-h': case '--help': return 'help';
      case '-v': case '--version': return 'version';
      case '-H': case '--host': o.hosts.push(next()); set.hosts = true; break;
      case '--data-root': o.dataRoot = next(); set.dataRoot = true; break;
      case '--exec-root': o.execRoot = next(); set.execRoot = true; break;
      case '-p': case '--pidfile': o.pidfile = next(); set.pidfile = true; break;
      case '-l': case '--log-level': o.logLevel = next(); set.logLevel = true; break;
      case '-D': case '--debug': o.logLevel = 'debug'; set.logLevel = true; break;
      case '--runtime': case '--default-runtime': o.defaultRuntime = next(); set.defaultRuntime = true; break;
      case '--add-runtime': {
        const v = next();
        const k = v.indexOf('=');
        if (k <= 0) throw new InvalidParameterError(`invalid --add-runtime value ${v}: expected name=path`);
        o.runtimes[v.slice(0, k)] = { path: v.slice(k + 1) };
        break;
      }
      case '--config-file': o.configFile = next(); break;
      case '-b': case '--bridge': o.bridge = next(); set.bridge = true; break;
      case '--bip': o.bip = next(); set.bip = true; break;
      case '--fixed-cidr': o.fixedCidr = next(); set.fixedCidr = true; break;
      case '--default-address-pool': o.defaultAddressPools.push(next()); set.defaultAddressPools = true; break;
      case '--mtu': o.mtu = intValue(a, next()); set.mtu = true; break;
      case '--iptables': o.iptables = boolValue(a, val); set.iptables = true; break;
      case '--ip-forward': o.ipForward = boolValue(a, val); set.ipForward = true; break;
      case '--insecure-registry': o.insecureRegistries.push(next()); break;
      case '--registry-mirror': o.registryMirrors.push(next()); break;
      case '--docker-io-endpoint': o.dockerIoEndpoint = next(); break;
      case '--tls': o.tls = boolValue(a, val); break;
      case '--tlsverify': o.tlsVerify = boolValue(a, val); if (o.tlsVerify) o.tls = true; break;
      case '--tlscacert': o.tlsCaCert = next(); break;
      case '--tlscert': o.tlsCert = next(); break;
      case '--tlskey': o.tlsKey = next(); break;
      default:
        throw new InvalidParameterError(`unknown flag: ${a}\nSee 'berthd --help'.`);
    }
  }
  if (o.configFile) await applyConfigFile(o, o.configFile, set);
  if (o.hosts.length === 0) o.hosts = ['unix:///run/berth/berth.sock'];
  if (!o.pidfile) o.pidfile = `${o.execRoot}/berthd.pid`;
  return o;
}

function intValue(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidParameterError(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function boolValue(flag: string, v: string | undefined): boolean {
  if (v === undefined || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidParameterError(`invalid argument "${v}" for "${flag}" flag: parse error`);
}

async function applyConfigFile(o: DaemonOptions, file: string, set: Partial<Record<keyof DaemonOptions, boolean>>): Promise<void> {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    throw new InvalidParameterError(`unable to configure the daemon with file ${file}: ${(err as Error).message}`);
  }
  const str = (k: string): string | undefined => (typeof cfg[k] === 'string' ? (cfg[k] as string) : undefined);
  // Command-line flags win over the file, as with dockerd (which refuses conflicts; we prefer the flag).
  if (!set.hosts && Array.isArray(cfg.hosts)) o.hosts = cfg.hosts.map(String);
  if (!set.dataRoot && str('data-root')) o.dataRoot = str('data-root')!;
  if (!set.execRoot && str('exec-root')) o.execRoot = str('exec-root')!;
  if (!set.pidfile && str('pidfile')) o.pidfile = str('pidfile')!;
  if (!set.logLevel && str('log-level')) o.logLevel = str('log-level')!;
  if (!set.logLevel && cfg.debug === true) o.logLevel = 'debug';
  if (typeof cfg.tls === 'boolean' && o.tls === undefined) o.tls = cfg.tls;
  if (cfg.tlsverify === true) {
    o.tlsVerify = true;
    o.tls = true;
  }
  if (str('tlscacert') && !o.tlsCaCert) o.tlsCaCert = str('tlscacert');
  if (str('tlscert') && !o.tlsCert) o.tlsCert = str('tlscert');
  if (str('tlskey') && !o.tlsKey) o.tlsKey = str('tlskey');
  if (!set.bridge && str('bridge')) o.bridge = str('bridge')!;
  if (!set.bip && str('bip')) o.bip = str('bip');
  if (!set.fixedCidr && str('fixed-cidr')) o.fixedCidr = str('fixed-cidr');
  if (!set.mtu && typeof cfg.mtu === 'number') o.mtu = cfg.mtu;
  if (!set.iptables && typeof cfg.iptables === 'boolean') o.iptables = cfg.iptables;
  if (!set.ipForward && typeof cfg['ip-forward'] === 'boolean') o.ipForward = cfg['ip-forward'];
  if (!set.defaultAddressPools && Array.isArray(cfg['default-address-pools'])) {
    o.defaultAddressPools = (cfg['default-address-pools'] as { base?: string; size?: number }[]).map((p) => `base=${p.base},size=${p.size}`);
  }
  // Registry lists add to the flags' (dockerd refuses duplicates; merging is kinder).
  const list = (k: string): string[] => (Array.isArray(cfg[k]) ? (cfg[k] as unknown[]).map(String) : []);
  o.insecureRegistries.push(...list('insecure-registries'));
  o.registryMirrors.push(...list('registry-mirrors'));
  if (!set.defaultRuntime && str('default-runtime')) o.defaultRuntime = str('default-runtime')!;
  if (cfg.runtimes && typeof cfg.runtimes === 'object') {
    for (const [name, r] of Object.entries(cfg.runtimes as Record<string, { path?: string; runtimeArgs?: string[] }>)) {
      if (r?.path) o.runtimes[name] = { path: r.path, runtimeArgs: r.runtimeArgs };
    }
  }
}
