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
  insecureRegistries: [],
  registryMirrors: [],
  dockerIoEndpoint: 'https://registry-1.docker.io',
});

const usage = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine daemon

Options:
      --add-runtime runtime        Register an additional OCI compatible runtime (name=path)
      --config-file string         Daemon configuration file
      --data-root string           Root directory of persistent berth state (default "/var/lib/berth")
      --docker-io-endpoint string  Registry endpoint serving docker.io (default "https://registry-1.docker.io")
  -D, --debug                      Enable debug mode
      --exec-root string           Root directory for execution state files (default "/run/berth")
  -H, --host list                  Daemon socket(s) to connect to (default unix:///run/berth/berth.sock);
                                   tcp://HOST:PORT needs --tlsverify (or an explicit --tls=false)
      --insecure-registry list     Enable insecure registry communication
  -l, --log-level string           Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
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
