import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidParameterError } from '../../lib/errors.js';
import type { ImageHandle } from '../images/image-types.js';
import { parseSignal } from './signals.js';
import { newState, type ContainerConfig, type ContainerRecord, type HostConfig, type MountPoint } from './container-record.js';

/** The body of POST /containers/create. */
export interface CreateRequest {
  [key: string]: unknown;
  HostConfig?: Partial<HostConfig>;
  NetworkingConfig?: unknown;
}

const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Kind = 'string' | 'boolean' | 'number' | 'strings' | 'object' | 'strslice' | 'stringmap' | 'objects';
const configFields: Record<string, Kind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'boolean', AttachStdout: 'boolean',
  AttachStderr: 'boolean', ExposedPorts: 'object', Tty: 'boolean', OpenStdin: 'boolean', StdinOnce: 'boolean',
  Env: 'strings', Cmd: 'strslice', Healthcheck: 'object', Image: 'string', Volumes: 'object', WorkingDir: 'string',
  Entrypoint: 'strslice', OnBuild: 'strings', Labels: 'stringmap', StopSignal: 'string', StopTimeout: 'number',
  Shell: 'strings', NetworkDisabled: 'boolean', MacAddress: 'string', ArgsEscaped: 'boolean',
};
const hostFields: Record<string, Kind> = {
  Binds: 'strings', NetworkMode: 'string', PortBindings: 'object', RestartPolicy: 'object', AutoRemove: 'boolean',
  Privileged: 'boolean', CapAdd: 'strings', CapDrop: 'strings', Tmpfs: 'stringmap', Mounts: 'objects',
  ReadonlyRootfs: 'boolean', Dns: 'strings', DnsOptions: 'strings', DnsSearch: 'strings', ExtraHosts: 'strings',
  GroupAdd: 'strings', Runtime: 'string', ShmSize: 'number', Memory: 'number', MemorySwap: 'number',
  MemoryReservation: 'number', NanoCpus: 'number', CpuShares: 'number', CpuPeriod: 'number', CpuQuota: 'number',
  CpusetCpus: 'string', CpusetMems: 'string', PidsLimit: 'number', OomKillDisable: 'boolean', Ulimits: 'objects',
  Init: 'boolean', LogConfig: 'object', ConsoleSize: 'object',
};

const healthFields: Record<string, Kind> = {
  Test: 'strings', Interval: 'number', Timeout: 'number', StartPeriod: 'number', StartInterval: 'number', Retries: 'number',
};

const goType: Record<Kind, string> = {
  string: 'string', boolean: 'bool', number: 'int64', strings: '[]string', object: 'object', strslice: 'strslice.StrSlice',
  stringmap: 'map[string]string', objects: '[]object',
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Type-checks the body the way Go's JSON decoding would refuse it, with the same kind of message. */
export function checkTypes(body: Record<string, unknown>, fields: Record<string, Kind>, where: string): void {
  for (const [k, kind] of Object.entries(fields)) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    const ok =
      kind === 'string' ? typeof v === 'string'
      : kind === 'boolean' ? typeof v === 'boolean'
      : kind === 'number' ? typeof v === 'number' && Number.isFinite(v)
      : kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
      : kind === 'strslice' ? typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      : kind === 'stringmap' ? isPlainObject(v)
      : kind === 'objects' ? Array.isArray(v)
      : typeof v === 'object';
    if (!ok) {
      const got = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
      throw new InvalidParameterError(`json: cannot unmarshal ${got} into Go struct field ${where}.${k} of type ${goType[kind]}`);
    }
    // Element types: a label or tmpfs option that is not a string, a mount or ulimit that is
    // not an object, would otherwise be stored and break every later list or start.
    const elems = kind === 'stringmap' ? Object.values(v as Record<string, unknown>) : kind === 'objects' ? (v as unknown[]) : [];
    const bad = elems.findIndex((x) => (kind === 'stringmap' ? typeof x !== 'string' : !isPlainObject(x)));
    if (bad >= 0) {
      const elem = kind === 'stringmap' ? 'string' : 'object';
      throw new InvalidParameterError(`json: cannot unmarshal ${jsonKind(elems[bad])} into Go struct field ${where}.${k} of type ${elem}`);
    }
  }
}

function strslice(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? [v] : (v as string[]);
}

/** Image env first, container env overrides by key (Docker's merge). */
export function mergeEnv(imageEnv: string[] | null | undefined, env: string[] | null | undefined): string[] {
  const out = new Map<string, string>();
  for (const e of [...(imageEnv ?? []), ...(env ?? [])]) {
    const k = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    out.delete(k);
    out.set(k, e);
  }
  if (![...out.keys()].includes('PATH')) return [defaultPath, ...out.values()];
  return [...out.values()];
}

export interface CreateInput {
  id: string;
  name: string;
  body: CreateRequest;
  image: ImageHandle;
  dataDir: string;
  defaultRuntime: string;
}

/**
 * Builds the container record from the request and the image's defaults, as dockerd's
 * create does: the image's Cmd/Entrypoint/Env/WorkingDir/... are merged into Config.
 */
export function buildRecord(input: CreateInput): ContainerRecord {
  const { body, image, id } = input;
  checkTypes(body, configFields, 'ContainerConfigWrapper');
  if (body.Healthcheck) checkTypes(body.Healthcheck as Record<string, unknown>, healthFields, 'ContainerConfigWrapper.Healthcheck');
  const hc = (body.HostConfig ?? {}) as Record<string, unknown>;
  if (typeof hc !== 'object' || Array.isArray(hc)) {
    throw new InvalidParameterError('json: cannot unmarshal into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig');
  }
  checkTypes(hc, hostFields, 'ContainerConfigWrapper.HostConfig');
  const ic = image.config;

  const cmdGiven = strslice(body.Cmd);
  const entrypointGiven = body.Entrypoint === undefined || body.Entrypoint === null ? undefined : (strslice(body.Entrypoint) as string[]);
  // An explicit entrypoint resets the image's Cmd (docker run --entrypoint).
  const entrypoint = entrypointGiven !== undefined ? (entrypointGiven.length === 1 && entrypointGiven[0] === '' ? null : entrypointGiven) : (ic.Entrypoint ?? null);
  const cmd = cmdGiven && cmdGiven.length ? cmdGiven : entrypointGiven !== undefined ? null : (ic.Cmd ?? null);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new InvalidParameterError('no command specified');

  const config: ContainerConfig = {
    Hostname: (body.Hostname as string) || id.slice(0, 12),
    Domainname: (body.Domainname as string) ?? '',
    User: (body.User as string) || ic.User || '',
    AttachStdin: Boolean(body.AttachStdin),
    AttachStdout: Boolean(body.AttachStdout),
    AttachStderr: Boolean(body.AttachStderr),
    ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...((body.ExposedPorts as Record<string, object>) ?? {}) },
    Tty: Boolean(body.Tty),
    OpenStdin: Boolean(body.OpenStdin),
    StdinOnce: Boolean(body.StdinOnce),
    Env: mergeEnv(ic.Env, body.Env as string[] | undefined),
    Cmd: cmd,
    Healthcheck: (body.Healthcheck as ContainerConfig['Healthcheck']) ?? ic.Healthcheck,
    Image: (body.Image as string) ?? '',
    Volumes: (body.Volumes as Record<string, object>) ?? ic.Volumes ?? null,
    WorkingDir: (body.WorkingDir as string) || ic.WorkingDir || '',
    Entrypoint: entrypoint,
    OnBuild: ic.OnBuild ?? null,
    Labels: { ...(ic.Labels ?? {}), ...((body.Labels as Record<string, string>) ?? {}) },
    StopSignal: (body.StopSignal as string) || ic.StopSignal || undefined,
    StopTimeout: body.StopTimeout as number | undefined,
    Shell: ic.Shell,
  };
  if (body.StopSignal) parseSignal(body.StopSignal as string);
  if (config.WorkingDir && !path.isAbsolute(config.WorkingDir)) {
    throw new InvalidParameterError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.ExposedPorts && Object.keys(config.ExposedPorts).length === 0) delete config.ExposedPorts;

  const hostConfig = normalizeHostConfig(hc, input.defaultRuntime);
  const mounts = parseMounts(hostConfig);
  const dir = path.join(input.dataDir, id);
  return {
    Id: id,
    Created: new Date().toISOString(),
    Path: argv[0],
    Args: argv.slice(1),
    State: newState(),
    Image: image.id,
    Name: '/' + input.name,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    Config: config,
    HostConfig: hostConfig,
    Mounts: mounts,
    LayerDirs: image.shortLayerDirs ?? image.layerDirs,
    LogPath: path.join(dir, `${id}-json.log`),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    ResolvConfPath: path.join(dir, 'resolv.conf'),
  };
}

/** A cpuset list ("0-2,4"), or undefined when malformed. */
export function parseCpuList(v: string): number[] | undefined {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let c = lo; c <= hi && out.length <= 4096; c++) out.push(c);
  }
  return out;
}

const restartPolicies = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

export function normalizeHostConfig(hc: Record<string, unknown>, defaultRuntime: string, cpus = os.availableParallelism()): HostConfig {
  const rp = (hc.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined) ?? {};
  const rpName = rp.Name ?? '';
  if (!restartPolicies.includes(rpName)) throw new InvalidParameterError(`invalid restart policy '${rpName}'`);
  if (rp.MaximumRetryCount && rpName !== 'on-failure') {
    throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if ((rp.MaximumRetryCount ?? 0) < 0) throw new InvalidParameterError('invalid restart policy: maximum retry count cannot be negative');
  if (hc.AutoRemove && rpName && rpName !== 'no') {
    throw new InvalidParameterError(`can't create 'AutoRemove' container with restart policy`);
  }
  const num = (k: string): number => {
    const v = (hc[k] as number | undefined) ?? 0;
    if (v < 0 && k !== 'MemorySwap' && k !== 'PidsLimit') throw new InvalidParameterError(`invalid value for ${k}: ${v}: must not be negative`);
    return v;
  };
  const memory = num('Memory');
  if (memory > 0 && memory < 6 * 1024 * 1024) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  // dockerd's verifyPlatformContainerResources, in its order and words: refused at create,
  // not left for runc to fail on at start.
  const swap = (hc.MemorySwap as number | undefined) ?? 0;
  if (memory > 0 && swap > 0 && swap < memory) throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0) throw new InvalidParameterError('You should always set the Memory limit when using Memoryswap limit, see usage');
  const reservation = num('MemoryReservation');
  if (reservation > 0 && reservation < 6 * 1024 * 1024) throw new InvalidParameterError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidParameterError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const nano = num('NanoCpus');
  if (nano && num('CpuPeriod')) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano && num('CpuQuota')) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  // dockerd's check (verifyPlatformContainerResources): more CPUs than the host has is refused.
  if (nano > cpus * 1e9) {
    throw new InvalidParameterError(`range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  const period = num('CpuPeriod');
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidParameterError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = (hc.CpuQuota as number | undefined) ?? 0;
  if (quota > 0 && quota < 1000) throw new InvalidParameterError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const cpuset = (hc.CpusetCpus as string | undefined) ?? '';
  if (cpuset) {
    const wanted = parseCpuList(cpuset);
    if (!wanted) throw new InvalidParameterError(`Invalid value ${cpuset} for cpuset cpus`);
    if (wanted.some((c) => c >= cpus)) {
      throw new InvalidParameterError(`Requested CPUs are not available - requested ${cpuset}, available: ${cpus > 1 ? `0-${cpus - 1}` : '0'}`);
    }
  }
  const blkio = num('BlkioWeight');
  if (blkio > 0 && (blkio < 10 || blkio > 1000)) throw new InvalidParameterError('Range of blkio weight is from 10 to 1000');
  return {
    ...hc,
    Binds: (hc.Binds as string[] | undefined) ?? null,
    NetworkMode: (hc.NetworkMode as string) || 'default',
    PortBindings: (hc.PortBindings as HostConfig['PortBindings']) ?? {},
    RestartPolicy: { Name: rpName === '' ? 'no' : rpName, MaximumRetryCount: rp.MaximumRetryCount ?? 0 },
    AutoRemove: Boolean(hc.AutoRemove),
    Privileged: Boolean(hc.Privileged),
    CapAdd: (hc.CapAdd as string[]) ?? null,
    CapDrop: (hc.CapDrop as string[]) ?? null,
    ReadonlyRootfs: Boolean(hc.ReadonlyRootfs),
    Runtime: (hc.Runtime as string) || defaultRuntime,
    ShmSize: (hc.ShmSize as number) || 64 * 1024 * 1024,
    Memory: memory,
    MemorySwap: (hc.MemorySwap as number) ?? 0,
    MemoryReservation: num('MemoryReservation'),
    NanoCpus: nano,
    CpuShares: num('CpuShares'),
    CpuPeriod: num('CpuPeriod'),
    CpuQuota: num('CpuQuota'),
    CpusetCpus: (hc.CpusetCpus as string) ?? '',
    CpusetMems: (hc.CpusetMems as string) ?? '',
    LogConfig: { Type: 'k8s-file', Config: {} },
  };
}

/** Binds (`/host:/ctr[:ro]`), --mount and --tmpfs as Docker's MountPoints. */
export function parseMounts(hc: HostConfig): MountPoint[] {
  const out: MountPoint[] = [];
  const seen = new Set<string>();
  const add = (m: MountPoint): void => {
    if (seen.has(m.Destination)) throw new InvalidParameterError(`Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
    out.push(m);
  };
  for (const b of hc.Binds ?? []) {
    const parts = b.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[1]) throw new InvalidParameterError(`invalid volume specification: '${b}'`);
    const [src, dst, mode = ''] = parts;
    if (!path.isAbsolute(dst)) throw new InvalidParameterError(`invalid volume specification: '${b}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
    if (!path.isAbsolute(src)) throw new InvalidParameterError(`invalid volume specification: '${b}': named volumes are not supported yet; use an absolute host path`);
    const opts = mode.split(',').filter(Boolean);
    for (const o of opts) {
      if (!['ro', 'rw', 'z', 'Z', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'nocopy'].includes(o)) {
        throw new InvalidParameterError(`invalid mode: ${o}`);
      }
    }
    add({ Type: 'bind', Source: path.resolve(src), Destination: path.posix.normalize(dst), Mode: mode, RW: !opts.includes('ro'), Propagation: opts.find((o) => o.includes('private') || o.includes('shared') || o.includes('slave')) ?? 'rprivate' });
  }
  for (const m of hc.Mounts ?? []) {
    if (!m.Target || !path.isAbsolute(m.Target)) throw new InvalidParameterError(`invalid mount config for type "${m.Type}": invalid mount path: '${m.Target ?? ''}' mount path must be absolute`);
    if (m.Type === 'bind') {
      if (!m.Source || !path.isAbsolute(m.Source)) throw new InvalidParameterError(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
      add({ Type: 'bind', Source: m.Source, Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation ?? 'rprivate' });
    } else if (m.Type === 'tmpfs') {
      add({ Type: 'tmpfs', Source: '', Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: '' });
    } else if (m.Type === 'volume') {
      throw new InvalidParameterError('invalid mount config for type "volume": named volumes are not supported yet');
    } else {
      throw new InvalidParameterError(`invalid mount config: mount type unknown: "${m.Type}"`);
    }
  }
  for (const dst of Object.keys(hc.Tmpfs ?? {})) {
    if (!path.isAbsolute(dst)) throw new InvalidParameterError(`invalid tmpfs mount path: ${dst}`);
    add({ Type: 'tmpfs', Source: '', Destination: dst, Mode: hc.Tmpfs![dst], RW: true, Propagation: '' });
  }
  return out;
}
