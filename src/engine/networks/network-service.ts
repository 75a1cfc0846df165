/**
 * Networks: the records (persisted one file each), their bridges, address pools, embedded
 * DNS servers and the network-level iptables rules; Docker's network API (create, list,
 * inspect, remove, prune). Endpoints of running containers are registered here by the
 * sandbox service, which owns everything per container.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { EventBus } from '../events.js';
import type { ContainerRecord } from '../containers/container-record.js';
import type { BridgeNet, DnatRule, Firewall, LinkOps } from './network-drivers.js';
import {
  AddressPool,
  DEFAULT_ADDRESS_POOLS,
  broadcastOf,
  contains,
  formatCidr,
  formatIPv4,
  networkOf,
  overlaps,
  parseCidr,
  parseIPv4,
  pickFreeSubnet,
  type AddressPoolSpec,
  type Cidr,
} from './ipam.js';
import { EmbeddedDns, type DnsLookup } from './dns-server.js';
import { NetworkStore, type NetworkRecord } from './network-store.js';
import type { DnsQuestion } from './dns-message.js';

export const PREDEFINED = ['bridge', 'host', 'none'];

export interface NetworkOptions {
  /** <data-root>/network */
  root: string;
  /** Default bridge name (dockerd's --bridge); 'none' disables the default bridge network. */
  bridge: string;
  /** Gateway and prefix of the default bridge (--bip), e.g. 10.123.7.1/24. */
  bip?: string;
  /** Sub-range of the default bridge's subnet for dynamic addresses (--fixed-cidr). */
  fixedCidr?: string;
  defaultAddressPools?: AddressPoolSpec[];
  mtu: number;
  ipForward: boolean;
  /** The embedded DNS servers' port (53); 0 runs none (unit tests). */
  dnsPort?: number;
  /** Where daemons claim their default bridge (/run/berth-bridges). */
  claimDir?: string;
}

/** A container's interface on a network, while the container runs. */
export interface LiveEndpoint {
  rec: ContainerRecord;
  networkId: string;
  endpointId: string;
  ip: number;
  mac: string;
  hostIf: string;
  ifName: string;
  aliases: string[];
}

interface NetState {
  rec: NetworkRecord;
  subnet?: Cidr;
  gateway?: number;
  pool?: AddressPool;
  dns?: EmbeddedDns;
  endpoints: Map<string, LiveEndpoint>;
}

export class NetworkService {
  private readonly store: NetworkStore;
  private readonly nets = new Map<string, NetState>();
  private readonly pools: AddressPoolSpec[];
  private dnsLookup: (networkId: string, q: DnsQuestion, src: string) => ReturnType<DnsLookup> = () => ({ forward: [] });
  /** Serialises create/remove (subnet choice, rule rewrites). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly opts: NetworkOptions,
    private readonly links: LinkOps,
    private readonly firewall: Firewall,
    private readonly events: EventBus,
  ) {
    this.store = new NetworkStore(opts.root);
    this.pools = opts.defaultAddressPools?.length ? opts.defaultAddressPools : DEFAULT_ADDRESS_POOLS;
  }

  setDnsLookup(fn: (networkId: string, q: DnsQuestion, src: string) => ReturnType<DnsLookup>): void {
    this.dnsLookup = fn;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // ---- start-up ----------------------------------------------------------------------

  async init(): Promise<void> {
    await this.store.init();
    for (const rec of await this.store.loadAll()) this.nets.set(rec.Id, this.state(rec));
    const byName = (n: string): NetworkRecord | undefined => [...this.nets.values()].find((s) => s.rec.Name === n)?.rec;
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!byName(name)) await this.addRecord(this.newRecord(name, driver, []));
    }
    await this.claimBridge();
    await this.initDefaultBridge(byName('bridge'));
    await this.ensureHostSetup();
    for (const s of this.nets.values()) {
      if (s.rec.Driver !== 'bridge') continue;
      try {
        await this.bringUp(s);
      } catch (err) {
        log.error('cannot set up network', { network: s.rec.Name, err: errorMessage(err) });
      }
    }
  }

  private hostReady = false;

  /**
   * Forwarding and berth's chains with their jumps — once there is a bridge network at all,
   * so a daemon without one (--bridge=none, no user network yet) changes nothing on the host.
   */
  private async ensureHostSetup(): Promise<void> {
    if (this.hostReady || this.bridgeNets().length === 0) return;
    if (this.opts.ipForward) await this.links.enableForwarding();
    await this.firewall.ensure();
    this.hostReady = true;
  }

  /**
   * One berthd per default bridge: the bridge names the daemon's chains and its addresses
   * come from one IPAM, so a second daemon on it would hand out the same addresses and
   * sweep the first one's veths. The claim is a pid file beside other daemons' claims.
   */
  private async claimBridge(): Promise<void> {
    if (this.opts.bridge === 'none') return;
    const dir = this.opts.claimDir ?? '/run/berth-bridges';
    const file = `${dir}/${this.opts.bridge}.pid`;
    await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
    const holder = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (holder && holder !== process.pid) {
      const cmdline = await fsp.readFile(`/proc/${holder}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes('berthd')) {
        throw new InvalidParameterError(`bridge ${this.opts.bridge} is used by another berthd (pid ${holder}): give this one its own --bridge and --bip`);
      }
    }
    await fsp.writeFile(file, `${process.pid}\n`);
    this.claimFile = file;
  }

  private claimFile: string | undefined;

  private async initDefaultBridge(existing: NetworkRecord | undefined): Promise<void> {
    if (this.opts.bridge === 'none') {
      if (existing) {
        this.nets.delete(existing.Id);
        await this.store.remove(existing.Id);
      }
      return;
    }
    let subnet: Cidr | undefined;
    let gateway: number | undefined;
    if (this.opts.bip) {
      const c = parseCidr(this.opts.bip);
      if (!c || c.ip === networkOf(c)) throw new InvalidParameterError(`invalid --bip ${this.opts.bip}: want the bridge's address and prefix, e.g. 10.123.0.1/24`);
      subnet = { ip: networkOf(c), bits: c.bits };
      gateway = c.ip;
    } else if (existing?.IPAM.Config[0]) {
      subnet = parseCidr(existing.IPAM.Config[0].Subnet);
      gateway = parseIPv4(existing.IPAM.Config[0].Gateway ?? '');
    }
    if (!subnet) {
      subnet = pickFreeSubnet(this.pools, await this.takenCidrs(existing?.Id));
      gateway = subnet.ip + 1;
    }
    const cfg: NetworkRecord['IPAM']['Config'][number] = { Subnet: formatCidr(subnet), Gateway: formatIPv4(gateway ?? subnet.ip + 1) };
    if (this.opts.fixedCidr) {
      const r = parseCidr(this.opts.fixedCidr);
      if (!r || !overlaps(r, subnet) || r.bits < subnet.bits) throw new InvalidParameterError(`invalid --fixed-cidr ${this.opts.fixedCidr}: not inside ${cfg.Subnet}`);
      cfg.IPRange = formatCidr(r);
    }
    const options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': this.opts.bridge,
      'com.docker.network.driver.mtu': String(this.opts.mtu),
    };
    const rec = existing ?? this.newRecord('bridge', 'bridge', [cfg]);
    const changed = JSON.stringify(rec.IPAM.Config) !== JSON.stringify([cfg]) || rec.BridgeName !== this.opts.bridge || JSON.stringify(rec.Options) !== JSON.stringify(options);
    rec.IPAM.Config = [cfg];
    rec.Options = options;
    rec.BridgeName = this.opts.bridge;
    if (!existing || changed) await this.addRecord(rec);
  }

  private newRecord(name: string, driver: NetworkRecord['Driver'], config: NetworkRecord['IPAM']['Config']): NetworkRecord {
    return {
      Name: name,
      Id: randomBytes(32).toString('hex'),
      Created: new Date().toISOString(),
      Scope: 'local',
      Driver: driver,
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: config },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: {},
      Labels: {},
    };
  }

  private state(rec: NetworkRecord): NetState {
    const s: NetState = { rec, endpoints: new Map() };
    const cfg = rec.IPAM.Config[0];
    if (rec.Driver === 'bridge' && cfg) {
      s.subnet = parseCidr(cfg.Subnet);
      s.gateway = parseIPv4(cfg.Gateway ?? '');
      if (s.subnet) s.pool = new AddressPool(s.subnet, s.gateway, cfg.IPRange ? parseCidr(cfg.IPRange) : undefined);
    }
    return s;
  }

  private async addRecord(rec: NetworkRecord): Promise<NetState> {
    await this.store.save(rec);
    const s = this.state(rec);
    const old = this.nets.get(rec.Id);
    if (old) s.endpoints = old.endpoints;
    this.nets.set(rec.Id, s);
    return s;
  }

  /** Creates the bridge (when missing), its address, and the DNS server of a user network. */
  private async bringUp(s: NetState): Promise<void> {
    if (!s.subnet || s.gateway === undefined || !s.rec.BridgeName) return;
    const mtu = Number(s.rec.Options['com.docker.network.driver.mtu']) || this.opts.mtu;
    await this.links.ensureBridge(s.rec.BridgeName, `${formatIPv4(s.gateway)}/${s.subnet.bits}`, mtu);
    if (this.isUserDefined(s.rec) && !s.dns && this.opts.dnsPort !== 0) {
      const dns = new EmbeddedDns(formatIPv4(s.gateway), (q, src) => this.dnsLookup(s.rec.Id, q, src), this.opts.dnsPort ?? 53);
      try {
        await dns.start();
        s.dns = dns;
      } catch (err) {
        log.warn('cannot start the embedded DNS server; containers on this network will use the host resolvers', { network: s.rec.Name, err: errorMessage(err) });
      }
    }
  }

  /** Rewrites the network-level chains (and, when given, all DNAT rules) from the networks there are. */
  async rewriteRules(dnats?: DnatRule[]): Promise<void> {
    if (!this.hostReady) return;
    await this.firewall.setNetworks(this.bridgeNets(), dnats);
  }

  private bridgeNets(): BridgeNet[] {
    return [...this.nets.values()]
      .filter((s) => s.rec.Driver === 'bridge' && s.subnet && s.rec.BridgeName)
      .map((s) => ({
        bridge: s.rec.BridgeName!,
        subnet: formatCidr(s.subnet!),
        internal: s.rec.Internal,
        icc: s.rec.Options['com.docker.network.bridge.enable_icc'] !== 'false',
        masquerade: s.rec.Options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
        dns: this.isUserDefined(s.rec),
      }));
  }

  private async takenCidrs(exceptId?: string): Promise<Cidr[]> {
    const host = (await this.links.usedCidrs()).map((c) => parseCidr(c)).filter((c): c is Cidr => Boolean(c));
    const ours = [...this.nets.values()].filter((s) => s.subnet && s.rec.Id !== exceptId).map((s) => s.subnet!);
    return [...host, ...ours];
  }

  /** berthd is stopping: bridges and rules stay (containers keep running), DNS servers go. */
  shutdown(): void {
    for (const s of this.nets.values()) s.dns?.close();
    if (this.claimFile) void fsp.rm(this.claimFile, { force: true }).catch(() => undefined);
  }

  // ---- lookup ------------------------------------------------------------------------

  /** By full ID, name, or unique ID prefix (Docker's order). */
  get(ref: string): NetworkRecord {
    return this.stateOf(ref).rec;
  }

  stateOf(ref: string): NetState {
    const byId = this.nets.get(ref);
    if (byId) return byId;
    const all = [...this.nets.values()];
    const byName = all.find((s) => s.rec.Name === ref);
    if (byName) return byName;
    if (ref && /^[0-9a-f]+$/.test(ref)) {
      const m = all.filter((s) => s.rec.Id.startsWith(ref));
      if (m.length === 1) return m[0];
      if (m.length > 1) throw new InvalidParameterError(`network ${ref} is ambiguous (${m.length} matches found based on ID prefix)`);
    }
    throw new NotFoundError(`network ${ref} not found`);
  }

  all(): NetState[] {
    return [...this.nets.values()];
  }

  isUserDefined(rec: NetworkRecord): boolean {
    return !PREDEFINED.includes(rec.Name);
  }

  defaultBridge(): NetState | undefined {
    return [...this.nets.values()].find((s) => s.rec.Name === 'bridge');
  }

  // ---- API ---------------------------------------------------------------------------

  async create(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }> {
    return this.locked(() => this.doCreate(body));
  }

  private async doCreate(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }> {
    const name = typeof body.Name === 'string' ? body.Name : '';
    if (!name) throw new InvalidParameterError('network name cannot be empty');
    if (PREDEFINED.includes(name) || name === 'default') throw new ForbiddenError(`operation is not permitted on predefined ${name} network `);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidParameterError(`invalid network name "${name}": it must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    if ([...this.nets.values()].some((s) => s.rec.Name === name)) throw new ConflictError(`network with name ${name} already exists`);
    const driver = (body.Driver as string) || 'bridge';
    if (driver !== 'bridge') {
      if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
      throw new NotFoundError(`could not find plugin ${driver} in v1 plugin registry: plugin not found`);
    }
    const ipam = (body.IPAM ?? {}) as { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[]; Options?: Record<string, string> };
    if (ipam.Driver && ipam.Driver !== 'default') throw new NotFoundError(`could not find plugin ${ipam.Driver} in v1 plugin registry: plugin not found`);
    const v4 = (ipam.Config ?? []).filter((c) => !(c.Subnet ?? '').includes(':'));
    const errs: string[] = [];
    let subnet: Cidr | undefined;
    let gateway: number | undefined;
    let range: Cidr | undefined;
    const cfg = v4[0];
    if (v4.length > 1) errs.push('berth supports one IPv4 subnet per network');
    if (cfg?.Subnet) {
      const c = parseCidr(cfg.Subnet);
      if (!c) throw new InvalidParameterError(`invalid CIDR address: ${cfg.Subnet}`);
      if (c.ip !== networkOf(c)) errs.push(`invalid subnet ${cfg.Subnet}: it should be ${formatCidr(c)}`);
      subnet = { ip: networkOf(c), bits: c.bits };
      if (c.bits > 30) errs.push(`invalid subnet ${cfg.Subnet}: too small for a bridge network`);
      if (cfg.IPRange) {
        const r = parseCidr(cfg.IPRange);
        if (!r) throw new InvalidParameterError(`invalid CIDR address: ${cfg.IPRange}`);
        if (r.bits < c.bits) errs.push(`invalid ip-range ${cfg.IPRange}: CIDR block is bigger than its parent subnet ${cfg.Subnet}`);
        if (r.ip !== networkOf(r)) errs.push(`invalid ip-range ${cfg.IPRange}: it should be ${formatCidr(r)}`);
        if (!overlaps(r, c)) errs.push(`invalid ip-range ${cfg.IPRange}: parent subnet ${cfg.Subnet} doesn't contain ip-range`);
        range = { ip: networkOf(r), bits: r.bits };
      }
      if (cfg.Gateway) {
        const g = parseIPv4(cfg.Gateway);
        if (g === undefined) errs.push(`invalid gateway ${cfg.Gateway}: ParseAddr("${cfg.Gateway}"): unable to parse IP`);
        else if (!contains(c, g)) errs.push(`invalid gateway ${cfg.Gateway}: parent subnet ${cfg.Subnet} doesn't contain this address`);
        else if (g === networkOf(c) || g === broadcastOf(c)) errs.push(`invalid gateway ${cfg.Gateway}: it is the subnet's network or broadcast address`);
        gateway = g;
      }
    } else if (cfg && (cfg.Gateway || cfg.IPRange)) {
      errs.push('invalid network config: a gateway or ip-range needs a subnet');
    }
    if (errs.length) throw new InvalidParameterError(`invalid network config:\n${errs.join('\n')}`);
    if (subnet) {
      if ([...this.nets.values()].some((s) => s.subnet && overlaps(s.subnet, subnet!))) {
        throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
      }
    } else {
      subnet = pickFreeSubnet(this.pools, await this.takenCidrs());
    }
    gateway ??= subnet.ip + 1;
    const options = Object.fromEntries(Object.entries((body.Options as Record<string, string>) ?? {}).map(([k, v]) => [k, String(v)]));
    const id = randomBytes(32).toString('hex');
    const bridgeName = options['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
    if (bridgeName.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridgeName)) throw new InvalidParameterError(`invalid bridge name "${bridgeName}"`);
    if ([...this.nets.values()].some((s) => s.rec.BridgeName === bridgeName)) throw new ConflictError(`bridge name ${bridgeName} is already used by another network`);
    const mtu = options['com.docker.network.driver.mtu'];
    if (mtu !== undefined && !(Number(mtu) >= 68 && Number(mtu) <= 65535)) throw new InvalidParameterError(`invalid MTU ${mtu}`);
    const ipamCfg: NetworkRecord['IPAM']['Config'][number] = { Subnet: formatCidr(subnet), Gateway: formatIPv4(gateway) };
    if (range) ipamCfg.IPRange = formatCidr(range);
    if (cfg?.AuxiliaryAddresses && Object.keys(cfg.AuxiliaryAddresses).length) ipamCfg.AuxiliaryAddresses = cfg.AuxiliaryAddresses;
    const rec: NetworkRecord = {
      ...this.newRecord(name, 'bridge', [ipamCfg]),
      Id: id,
      Internal: Boolean(body.Internal),
      Attachable: Boolean(body.Attachable),
      IPAM: { Driver: 'default', Options: ipam.Options ?? {}, Config: [ipamCfg] },
      Options: options,
      Labels: (body.Labels as Record<string, string>) ?? {},
      BridgeName: bridgeName,
    };
    // The record goes first: a crash after it is finished at the next start (the bridge is
    // made from the record); a crash before it leaves nothing.
    const s = await this.addRecord(rec);
    await this.ensureHostSetup().catch(async (err) => {
      this.nets.delete(id);
      await this.store.remove(id);
      throw err;
    });
    for (const [, ip] of Object.entries(cfg?.AuxiliaryAddresses ?? {})) {
      const a = parseIPv4(ip);
      if (a !== undefined && s.pool && contains(subnet, a)) s.pool.claim(a);
    }
    try {
      await this.bringUp(s);
      await this.rewriteRules();
    } catch (err) {
      await this.teardown(s).catch(() => undefined);
      throw err;
    }
    this.events.publish('network', 'create', id, { name, type: 'bridge' });
    return { Id: id, Warning: body.EnableIPv6 ? 'IPv6 is not supported by berth yet: the network has IPv4 only' : '' };
  }

  private async teardown(s: NetState): Promise<void> {
    s.dns?.close();
    s.dns = undefined;
    this.nets.delete(s.rec.Id);
    if (s.rec.BridgeName) await this.links.deleteLink(s.rec.BridgeName);
    await this.rewriteRules();
    await this.store.remove(s.rec.Id);
  }

  async remove(ref: string): Promise<void> {
    await this.locked(async () => {
      const s = this.stateOf(ref);
      if (PREDEFINED.includes(s.rec.Name)) throw new ForbiddenError(`${s.rec.Name} is a pre-defined network and cannot be removed`);
      if (s.endpoints.size) {
        const eps = [...s.endpoints.values()].map((e) => `name:"${e.rec.Name.slice(1)}" id:"${e.endpointId.slice(0, 12)}"`);
        throw new ForbiddenError(`error while removing network: network ${s.rec.Name} has active endpoints (${eps.join(', ')})`);
      }
      await this.teardown(s);
      this.events.publish('network', 'destroy', s.rec.Id, { name: s.rec.Name, type: 'bridge' });
    });
  }

  async prune(filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] }> {
    for (const k of filters.keys()) if (!['label', 'label!', 'until'].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    const until = filters.get('until')?.map(parseUntil);
    const deleted: string[] = [];
    for (const s of [...this.nets.values()]) {
      if (!this.isUserDefined(s.rec) || s.endpoints.size) continue;
      if (!matchLabels(s.rec.Labels, filters)) continue;
      if (until && !until.every((t) => Date.parse(s.rec.Created) < t)) continue;
      try {
        await this.remove(s.rec.Id);
        deleted.push(s.rec.Name);
      } catch (err) {
        log.warn('prune: cannot remove network', { network: s.rec.Name, err: errorMessage(err) });
      }
    }
    return { NetworksDeleted: deleted };
  }

  list(filters: Map<string, string[]>): Record<string, unknown>[] {
    for (const k of filters.keys()) {
      if (!['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    for (const t of filters.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidParameterError(`invalid filter: 'type'='${t}'`);
    const dangling = filters.get('dangling')?.map((v) => {
      if (!['true', 'false', '1', '0'].includes(v)) throw new InvalidParameterError(`invalid filter 'dangling=${v}'`);
      return v === 'true' || v === '1';
    });
    return [...this.nets.values()]
      .filter((s) => {
        const r = s.rec;
        if (filters.has('driver') && !filters.get('driver')!.includes(r.Driver)) return false;
        if (filters.has('id') && !filters.get('id')!.some((v) => r.Id.startsWith(v) || r.Id.includes(v))) return false;
        if (filters.has('name') && !filters.get('name')!.some((v) => r.Name.includes(v))) return false;
        if (filters.has('scope') && !filters.get('scope')!.includes(r.Scope)) return false;
        if (filters.has('type') && !filters.get('type')!.includes(this.isUserDefined(r) ? 'custom' : 'builtin')) return false;
        if (!matchLabels(r.Labels, filters)) return false;
        if (dangling && !dangling.every((d) => d === (this.isUserDefined(r) && s.endpoints.size === 0))) return false;
        return true;
      })
      .sort((a, b) => (a.rec.Name < b.rec.Name ? -1 : 1))
      .map((s) => this.view(s, false));
  }

  inspect(ref: string): Record<string, unknown> {
    return this.view(this.stateOf(ref), true);
  }

  private view(s: NetState, withContainers: boolean): Record<string, unknown> {
    const { BridgeName, ...rec } = s.rec;
    void BridgeName;
    const containers: Record<string, unknown> = {};
    if (withContainers) {
      for (const e of s.endpoints.values()) {
        containers[e.rec.Id] = {
          Name: e.rec.Name.slice(1),
          EndpointID: e.endpointId,
          MacAddress: e.mac,
          IPv4Address: `${formatIPv4(e.ip)}/${s.subnet?.bits ?? 32}`,
          IPv6Address: '',
        };
      }
    }
    return { ...rec, IPAM: { ...rec.IPAM, Config: rec.IPAM.Config.map((c) => ({ ...c })) }, Containers: containers };
  }

  // ---- endpoints (for the sandbox service) ------------------------------------------

  addEndpoint(e: LiveEndpoint): void {
    this.nets.get(e.networkId)?.endpoints.set(e.rec.Id, e);
  }

  removeEndpoint(networkId: string, containerId: string): void {
    this.nets.get(networkId)?.endpoints.delete(containerId);
  }

  /** The bridges berth owns (for the crash sweep). */
  bridgeNames(): string[] {
    return [...this.nets.values()].map((s) => s.rec.BridgeName).filter((b): b is string => Boolean(b));
  }

  publishConnect(action: 'connect' | 'disconnect', networkId: string, containerId: string): void {
    const s = this.nets.get(networkId);
    this.events.publish('network', action, networkId, { container: containerId, name: s?.rec.Name ?? '', type: s?.rec.Driver ?? 'bridge' });
  }
}

function matchLabels(labels: Record<string, string>, filters: Map<string, string[]>): boolean {
  const has = (f: string): boolean => {
    const i = f.indexOf('=');
    return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
  };
  if (filters.has('label') && !filters.get('label')!.every(has)) return false;
  if (filters.has('label!') && filters.get('label!')!.some(has)) return false;
  return true;
}

function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid filter 'until=${v}'`);
  return t;
}

/** Reads the nameserver/search/options lines of a resolv.conf. */
export async function readHostResolvConf(file = '/etc/resolv.conf'): Promise<string> {
  return fsp.readFile(file, 'utf8').catch(() => '');
}
