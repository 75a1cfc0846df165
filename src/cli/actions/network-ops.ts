/** `berth network ...`: create, ls, inspect, rm, prune, connect, disconnect, with docker's output. */
import { parseFilterArgs } from '../../client/docker-client.js';
import { StatusError, type CliContext } from '../command.js';
import { headerRow, renderRows, structRow, type TemplateRow } from '../format/formatter.js';
import { eachName, out } from './common.js';
import { printInspected } from './inspect.js';
import { confirmOrCancel } from '../prompt.js';

interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

function filtersJson(args: string[]): string | undefined {
  const f = parseFilterArgs(args);
  if (Object.keys(f).length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(Object.entries(f).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))])));
}

// ---- create ------------------------------------------------------------------------

export interface NetworkCreateOptions {
  name: string;
  driver: string;
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  auxAddresses: string[];
  ipamDriver: string;
  ipamOpts: string[];
  opts: string[];
  labels: string[];
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  ipv6: boolean;
  scope: string;
  configOnly: boolean;
  configFrom: string;
}

function ipv4(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) return undefined;
  return m.slice(1).reduce((a, x) => a * 256 + Number(x), 0);
}

/** True when `addr` (an IPv4 address or CIDR) lies in the IPv4 `subnet`; IPv6 by prefix text. */
function inSubnet(subnet: string, addr: string): boolean {
  const [net, bitsText] = subnet.split('/');
  const a = ipv4(addr.split('/')[0]);
  const n = ipv4(net);
  if (a === undefined || n === undefined) return addr.includes(':') && subnet.includes(':') && addr.startsWith(net.replace(/:+$/, ''));
  const bits = Number(bitsText);
  const block = 2 ** (32 - bits);
  return Math.floor(a / block) === Math.floor(n / block);
}

function keyValues(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new StatusError(1, `invalid argument "${kv}" for "${what}" flag: bad format, expected key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** docker's consolidateIpam: each gateway, ip-range and aux address goes with the subnet that holds it. */
function ipamConfig(o: NetworkCreateOptions): Record<string, unknown>[] {
  if (o.subnets.length < o.ipRanges.length || o.subnets.length < o.gateways.length) {
    throw new StatusError(1, 'every ip-range or gateway must have a corresponding subnet');
  }
  const cfgs = o.subnets.map((s) => ({ Subnet: s, IPRange: '', Gateway: '', AuxiliaryAddresses: {} as Record<string, string> }));
  for (const r of o.ipRanges) {
    const c = cfgs.find((x) => inSubnet(x.Subnet, r));
    if (!c) throw new StatusError(1, `no matching subnet for range ${r}`);
    if (c.IPRange) throw new StatusError(1, `cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet})`);
    c.IPRange = r;
  }
  for (const g of o.gateways) {
    const c = cfgs.find((x) => inSubnet(x.Subnet, g));
    if (!c) throw new StatusError(1, `no matching subnet for gateway ${g}`);
    if (c.Gateway) throw new StatusError(1, `cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet})`);
    c.Gateway = g;
  }
  for (const [k, v] of Object.entries(keyValues(o.auxAddresses, '--aux-address'))) {
    const c = cfgs.find((x) => inSubnet(x.Subnet, v));
    if (!c) throw new StatusError(1, `no matching subnet for aux-address ${v}`);
    c.AuxiliaryAddresses[k] = v;
  }
  return cfgs.map((c) => {
    const r: Record<string, unknown> = { Subnet: c.Subnet };
    if (c.IPRange) r.IPRange = c.IPRange;
    if (c.Gateway) r.Gateway = c.Gateway;
    if (Object.keys(c.AuxiliaryAddresses).length) r.AuxiliaryAddresses = c.AuxiliaryAddresses;
    return r;
  });
}

export async function networkCreateAction(ctx: CliContext, o: NetworkCreateOptions): Promise<void> {
  const body: Record<string, unknown> = {
    Name: o.name,
    Driver: o.driver,
    Scope: o.scope,
    EnableIPv6: o.ipv6,
    IPAM: { Driver: o.ipamDriver, Config: ipamConfig(o), Options: keyValues(o.ipamOpts, '--ipam-opt') },
    Internal: o.internal,
    Attachable: o.attachable,
    Ingress: o.ingress,
    ConfigOnly: o.configOnly,
    Options: keyValues(o.opts, '--opt'),
    Labels: keyValues(o.labels.map((l) => (l.includes('=') ? l : `${l}=`)), '--label'),
  };
  if (o.configFrom) body.ConfigFrom = { Network: o.configFrom };
  const res = await ctx.client().json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body });
  if (res.Warning) ctx.streams.err.write(`${res.Warning}\n`);
  out(ctx, `${res.Id}\n`);
}

// ---- ls ----------------------------------------------------------------------------

const networkHeaders: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

function networkRow(n: NetworkResource, noTrunc: boolean): TemplateRow {
  const labels = n.Labels ?? {};
  const row = structRow('networkContext', {
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv4: String(n.EnableIPv4 ?? true),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: n.Created,
  });
  (row as Record<string, unknown>).Label = (k: string) => labels[k] ?? '';
  return row;
}

export async function networkListAction(ctx: CliContext, o: { quiet: boolean; noTrunc: boolean; filters: string[]; format: string }): Promise<void> {
  const filters = filtersJson(o.filters);
  const list = await ctx.client().json<NetworkResource[]>('GET', '/networks', { query: filters ? { filters } : {} });
  list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  let format = o.format;
  if (!format || format === 'table') format = o.quiet ? '{{.ID}}' : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
  else if (o.quiet && format.startsWith('table')) format = '{{.ID}}';
  out(ctx, renderRows(format, list.map((n) => networkRow(n, o.noTrunc)), headerRow(networkHeaders, { Label: 'LABEL' })));
}

// ---- inspect / rm / prune ----------------------------------------------------------

export async function networkInspectAction(ctx: CliContext, o: { names: string[]; format: string; verbose: boolean }): Promise<void> {
  const client = ctx.client();
  await printInspected(ctx, o.names, o.format, (n) => client.json('GET', `/networks/${encodeURIComponent(n)}`, { query: o.verbose ? { verbose: 'true' } : {} }));
}

export async function networkRemoveAction(ctx: CliContext, o: { names: string[]; force: boolean }): Promise<void> {
  const client = ctx.client();
  await eachName(ctx, o.names, async (n) => {
    try {
      await client.send('DELETE', `/networks/${encodeURIComponent(n)}`);
    } catch (e) {
      // --force: a network that does not exist is not an error.
      if (o.force && (e as { status?: number }).status === 404) return;
      throw e;
    }
  });
}

export async function networkPruneAction(ctx: CliContext, o: { force: boolean; filters: string[] }): Promise<void> {
  if (!o.force) await confirmOrCancel(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?');
  const filters = filtersJson(o.filters);
  const report = await ctx.client().json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: filters ? { filters } : {} });
  const deleted = report.NetworksDeleted ?? [];
  if (deleted.length) out(ctx, `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
}

// ---- connect / disconnect ----------------------------------------------------------

export interface NetworkConnectOptions {
  network: string;
  container: string;
  aliases: string[];
  ip: string;
  ip6: string;
  links: string[];
  linkLocalIps: string[];
  driverOpts: string[];
}

export async function networkConnectAction(ctx: CliContext, o: NetworkConnectOptions): Promise<void> {
  const ipam: Record<string, unknown> = {};
  if (o.ip) ipam.IPv4Address = o.ip;
  if (o.ip6) ipam.IPv6Address = o.ip6;
  if (o.linkLocalIps.length) ipam.LinkLocalIPs = o.linkLocalIps;
  const endpoint: Record<string, unknown> = {
    IPAMConfig: Object.keys(ipam).length ? ipam : null,
    Links: o.links.length ? o.links : null,
    Aliases: o.aliases.length ? o.aliases : null,
    DriverOpts: o.driverOpts.length ? keyValues(o.driverOpts, '--driver-opt') : null,
  };
  await ctx.client().send('POST', `/networks/${encodeURIComponent(o.network)}/connect`, { body: { Container: o.container, EndpointConfig: endpoint } });
}

export async function networkDisconnectAction(ctx: CliContext, o: { network: string; container: string; force: boolean }): Promise<void> {
  await ctx.client().send('POST', `/networks/${encodeURIComponent(o.network)}/disconnect`, { body: { Container: o.container, Force: o.force } });
}
