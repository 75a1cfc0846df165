import { InvalidParameterError } from '../../lib/errors.js';
import { containerStatusText } from '../../lib/human.js';
import type { ContainerRecord } from './container-record.js';

/** GET /containers/{id}/json: Docker's ContainerInspect shape. */
export function inspectView(rec: ContainerRecord, dataDir: string): Record<string, unknown> {
  const { LayerDirs, ManualStop, ...rest } = rec;
  void ManualStop;
  const dir = `${dataDir}/${rec.Id}`;
  const lower = LayerDirs.slice().reverse().join(':');
  return {
    ...rest,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    State: { ...rec.State },
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: lower, UpperDir: `${dir}/diff`, MergedDir: `${dir}/merged`, WorkDir: `${dir}/work` },
    },
    Mounts: rec.Mounts.map((m) => ({ ...m })),
    Config: { ...rec.Config, Cmd: rec.Config.Cmd, Entrypoint: rec.Config.Entrypoint },
    NetworkSettings: networkSettings(rec),
  };
}

function networkSettings(rec: ContainerRecord): Record<string, unknown> {
  const ns = rec.NetworkSettings;
  const networks: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(ns?.Networks ?? {})) networks[name] = { ...ep };
  const mode = rec.HostConfig.NetworkMode;
  if (!ns && (mode === 'host' || mode === 'none')) {
    networks[mode] = {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: '', EndpointID: '', Gateway: '',
      IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DriverOpts: null, DNSNames: null,
    };
  }
  // The deprecated top-level fields mirror the default bridge's endpoint, as in Docker.
  const bridge = ns?.Networks.bridge;
  return {
    Bridge: '',
    SandboxID: ns?.SandboxID ?? '',
    SandboxKey: ns?.SandboxKey ?? '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: rec.State.Running ? (ns?.Ports ?? {}) : {},
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: networks,
  };
}

/** ContainerSummary.Ports: [{IP, PrivatePort, PublicPort, Type}]; exposed-only ports have no IP. */
function summaryPorts(rec: ContainerRecord): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const ports = rec.State.Running ? (rec.NetworkSettings?.Ports ?? {}) : {};
  for (const [key, list] of Object.entries(ports)) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!list || list.length === 0) out.push({ PrivatePort: Number(port), Type: proto });
    else for (const b of list) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

/** ContainerSummary.Command as dockerd writes it: arguments with a space in single quotes. */
export function summaryCommand(cmdPath: string, args: string[]): string {
  return [cmdPath, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

/** GET /containers/json: one ContainerSummary. */
export function summaryView(rec: ContainerRecord, now = Date.now()): Record<string, unknown> {
  const cmd = summaryCommand(rec.Path, rec.Args);
  return {
    Id: rec.Id,
    Names: [rec.Name],
    Image: rec.Config.Image || rec.Image,
    ImageID: rec.Image,
    Command: cmd,
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: summaryPorts(rec),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
    Status: containerStatusText(rec.State, now),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode },
    NetworkSettings: { Networks: (networkSettings(rec).Networks as Record<string, unknown>) },
    Mounts: rec.Mounts.map((m) => ({ ...m })),
  };
}

const statuses = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions {
  all: boolean;
  limit?: number;
  filters: Map<string, string[]>;
  /** Resolves a container ref for before/since (throws NotFound). */
  resolve: (ref: string) => ContainerRecord;
  /** Image IDs that an `ancestor` filter value names. */
  imageIds: (ref: string) => Promise<string | undefined>;
}

/** Applies Docker's container list filters; newest first. */
export async function listContainers(records: ContainerRecord[], o: ListOptions): Promise<ContainerRecord[]> {
  const f = o.filters;
  for (const k of f.keys()) {
    if (!['id', 'name', 'label', 'status', 'ancestor', 'exited', 'before', 'since', 'health', 'network', 'volume', 'publish', 'expose', 'isolation', 'is-task'].includes(k)) {
      throw new InvalidParameterError(`invalid filter '${k}'`);
    }
  }
  for (const s of f.get('status') ?? []) {
    if (!statuses.includes(s)) throw new InvalidParameterError(`invalid filter 'status=${s}'`);
  }
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidParameterError(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  let list = [...records].sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (a.Id < b.Id ? 1 : -1));
  const before = f.get('before')?.map((r) => o.resolve(r));
  const since = f.get('since')?.map((r) => o.resolve(r));
  const ancestors: string[] = [];
  for (const a of f.get('ancestor') ?? []) {
    const id = await o.imageIds(a);
    if (id) ancestors.push(id);
  }
  list = list.filter((r) => {
    const all = o.all || f.has('status') || f.has('exited') || (f.has('before') || f.has('since'));
    if (!all && !r.State.Running) return false;
    if (f.has('id') && !f.get('id')!.some((v) => r.Id.startsWith(v))) return false;
    if (f.has('name') && !f.get('name')!.some((v) => new RegExp(v).test(r.Name.slice(1)) || new RegExp(v).test(r.Name))) return false;
    if (f.has('label') && !f.get('label')!.every((v) => matchLabel(r.Config.Labels ?? {}, v))) return false;
    if (f.has('status') && !f.get('status')!.includes(r.State.Status)) return false;
    if (exited.length && (r.State.Status !== 'exited' || !exited.includes(r.State.ExitCode))) return false;
    if (f.has('ancestor') && !ancestors.includes(r.Image)) return false;
    if (before && !before.every((b) => Date.parse(r.Created) < Date.parse(b.Created))) return false;
    if (since && !since.every((s) => Date.parse(r.Created) > Date.parse(s.Created))) return false;
    return true;
  });
  if (o.limit && o.limit > 0) list = list.slice(0, o.limit);
  return list;
}

export function matchLabel(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  if (i < 0) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}
