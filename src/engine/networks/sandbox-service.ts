/**
 * The network side of each container (the containers engine's NetworkAttacher): its pinned
 * network namespace and endpoints, its addresses, its published ports and their DNAT
 * rules, its /etc/hosts and resolv.conf lines, and the names the embedded DNS answers.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ForbiddenError, InvalidParameterError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { ContainerRecord } from '../containers/container-record.js';
import {
  emptyEndpoint,
  type ContainerNetworkSettings,
  type EndpointSettings,
  type NetworkAttacher,
  type PreparedNetwork,
} from '../containers/network-attacher.js';
import type { DnatRule, Firewall, LinkOps, VethAttachment } from './network-drivers.js';
import { probePort } from '../../drivers/network/port-probe.js';
import { contains, formatIPv4, macFromIP, parseIPv4 } from './ipam.js';
import { portMap, portRequests, validatePorts, parsePortKey, type PortMapping, type PortRequest, type Proto } from './port-spec.js';
import { containerResolvConf, upstreamServers } from './resolv-conf.js';
import { readHostResolvConf, type LiveEndpoint, type NetworkService } from './network-service.js';
import {
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_A,
  TYPE_PTR,
  ptrToIPv4,
  type Answer,
  type DnsQuestion,
} from './dns-message.js';
import type { DnsDecision } from './dns-server.js';

interface Sandbox {
  rec: ContainerRecord;
  nsPath: string;
  endpoints: LiveEndpoint[];
  ports: PortMapping[];
  dnats: DnatRule[];
}

export interface SandboxOptions {
  /** <exec-root>/netns: one pinned namespace file per container. */
  netnsDir: string;
  /** Ephemeral host ports for `-p CTR` and `-P`. */
  portRange?: [number, number];
  probe?: typeof probePort;
  hostResolvConf?: () => Promise<string>;
}

type Mode = 'host' | 'none' | 'container' | 'bridge';

/** Host-side veth name: derived from the endpoint ID, so it is known again after a restart. */
export function vethName(endpointId: string): string {
  return `vb${endpointId.slice(0, 11)}`;
}

export class SandboxService implements NetworkAttacher {
  private readonly sandboxes = new Map<string, Sandbox>();
  /** Host ports held by berth's containers: "tcp/8080" → host IPs. */
  private readonly reserved = new Map<string, Set<string>>();
  private portCursor: number;
  private readonly portRange: [number, number];
  private readonly probe: typeof probePort;
  private readonly hostResolv: () => Promise<string>;

  constructor(
    private readonly nets: NetworkService,
    private readonly links: LinkOps,
    private readonly firewall: Firewall,
    private readonly opts: SandboxOptions,
  ) {
    this.portRange = opts.portRange ?? [32768, 60999];
    this.portCursor = this.portRange[0];
    this.probe = opts.probe ?? probePort;
    this.hostResolv = opts.hostResolvConf ?? (() => readHostResolvConf());
    nets.setDnsLookup((id, q, src) => this.dnsLookup(id, q, src));
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.opts.netnsDir, { recursive: true, mode: 0o700 });
    // Re-adopted containers' DNS queries may come before any start reads it again.
    await this.refreshHostResolv();
  }

  private modeOf(rec: ContainerRecord): Mode {
    const m = rec.HostConfig.NetworkMode || 'default';
    if (m === 'host') return 'host';
    if (m === 'none') return 'none';
    if (m.startsWith('container:')) return 'container';
    if ((m === 'default' || m === 'bridge') && !this.nets.defaultBridge()) return 'none';
    return 'bridge';
  }

  private settings(rec: ContainerRecord): ContainerNetworkSettings {
    rec.NetworkSettings ??= { Networks: {}, Ports: {}, SandboxID: '', SandboxKey: '' };
    return rec.NetworkSettings;
  }

  // ---- create ------------------------------------------------------------------------

  async validate(rec: ContainerRecord, endpointsConfig: Record<string, Partial<EndpointSettings> | null> | undefined): Promise<void> {
    const hc = rec.HostConfig;
    const mode = this.modeOf(rec);
    if (mode === 'container') {
      if (Object.keys(hc.PortBindings ?? {}).length || hc.PublishAllPorts) {
        throw new InvalidParameterError('conflicting options: port publishing and the container type network mode');
      }
      rec.NetworkSettings = { Networks: {}, Ports: {}, SandboxID: '', SandboxKey: '' };
      return;
    }
    validatePorts(hc.PortBindings as never, rec.Config.ExposedPorts);
    const networks: Record<string, EndpointSettings> = {};
    if (mode === 'host' || mode === 'none') {
      const s = this.nets.stateOf(mode);
      networks[s.rec.Name] = emptyEndpoint(s.rec.Id);
    } else {
      const given = hc.NetworkMode === 'default' || !hc.NetworkMode ? 'bridge' : hc.NetworkMode;
      const primary = this.nets.stateOf(given);
      const cfgs = Object.entries(endpointsConfig ?? {});
      const cfgFor = (names: string[]): Partial<EndpointSettings> | undefined => cfgs.find(([k]) => names.includes(k))?.[1] ?? undefined;
      networks[primary.rec.Name] = this.endpointConfig(primary.rec.Id, cfgFor([given, primary.rec.Name, primary.rec.Id, 'default']));
      for (const [key, cfg] of cfgs) {
        if ([given, primary.rec.Name, primary.rec.Id, 'default'].includes(key)) continue;
        const s = this.nets.stateOf(key);
        if (s.rec.Driver !== 'bridge') {
          throw new InvalidParameterError(
            s.rec.Name === 'none'
              ? 'container cannot be connected to multiple networks with one of the networks in private (none) mode'
              : 'container sharing network namespace with another container or host cannot be connected to any other network',
          );
        }
        networks[s.rec.Name] = this.endpointConfig(s.rec.Id, cfg ?? undefined);
      }
    }
    rec.NetworkSettings = { Networks: networks, Ports: {}, SandboxID: '', SandboxKey: '' };
  }

  /** An endpoint's configuration, checked as dockerd's validateEndpointSettings does. */
  private endpointConfig(networkId: string, cfg: Partial<EndpointSettings> | undefined): EndpointSettings {
    const s = this.nets.stateOf(networkId);
    const errs: string[] = [];
    const ip = cfg?.IPAMConfig?.IPv4Address;
    const aliases = (cfg?.Aliases ?? []).filter(Boolean);
    if (!this.nets.isUserDefined(s.rec)) {
      if (ip) errs.push('user-specified IP address is supported on user-defined networks only');
      if (aliases.length) errs.push('network-scoped aliases are only supported for user-defined networks');
    }
    if (ip) {
      const n = parseIPv4(ip);
      if (n === undefined || n === 0) errs.push(`invalid IPv4 address: ${ip}`);
      else if (s.subnet && !contains(s.subnet, n)) errs.push(`no configured subnet contains IP address ${ip}`);
    }
    if (errs.length) throw new InvalidParameterError(`invalid endpoint settings:\n${errs.join('\n')}`);
    return {
      ...emptyEndpoint(s.rec.Id),
      IPAMConfig: cfg?.IPAMConfig && Object.keys(cfg.IPAMConfig).length ? { ...cfg.IPAMConfig } : null,
      Aliases: aliases.length ? aliases : null,
      Links: cfg?.Links?.length ? cfg.Links : null,
      DriverOpts: cfg?.DriverOpts ?? null,
      MacAddress: cfg?.MacAddress ?? '',
    };
  }

  // ---- start -------------------------------------------------------------------------

  async prepare(rec: ContainerRecord): Promise<PreparedNetwork> {
    const mode = this.modeOf(rec);
    const hc = rec.HostConfig;
    const host = await this.hostResolv();
    this.cachedHostResolv = host;
    const resolv = (embedded?: string): string =>
      containerResolvConf({ host, dns: hc.Dns, search: hc.DnsSearch, options: hc.DnsOptions, embedded, hostNetwork: mode === 'host' });
    const ns = this.settings(rec);
    const bridge = this.nets.defaultBridge();
    const hostGateway = bridge?.gateway !== undefined ? formatIPv4(bridge.gateway) : undefined;
    if (mode === 'host' || mode === 'none') {
      const s = this.nets.stateOf(mode);
      if (!ns.Networks[s.rec.Name]) ns.Networks = { [s.rec.Name]: emptyEndpoint(s.rec.Id) };
      ns.SandboxID = randomBytes(32).toString('hex');
      return { netns: mode === 'host' ? { mode: 'host' } : { mode: 'new' }, hosts: [], resolvConf: resolv(), hostGateway };
    }
    if (mode === 'container') throw new SystemError('a container:<name> network mode is set up by the containers engine');
    if (this.sandboxes.has(rec.Id)) await this.release(rec);

    if (Object.keys(ns.Networks).length === 0) await this.validate(rec, undefined);
    const entries = Object.entries(ns.Networks).map(([name, ep]) => {
      const s = ep.NetworkID ? this.findNet(ep.NetworkID, name) : this.nets.stateOf(name);
      if (!s) throw new NotFoundError(`network ${name} not found`);
      return { name, ep, s };
    });
    const sb: Sandbox = { rec, nsPath: path.join(this.opts.netnsDir, rec.Id), endpoints: [], ports: [], dnats: [] };
    const hostname = rec.Config.Hostname;
    let rulesAdded = false;
    try {
      entries.forEach(({ ep, s }, i) => {
        if (!s.pool || !s.subnet || s.gateway === undefined) throw new InvalidParameterError(`network ${s.rec.Name} has no address pool`);
        const want = ep.IPAMConfig?.IPv4Address;
        let ip: number;
        if (want) {
          ip = parseIPv4(want)!;
          s.pool.claim(ip);
        } else {
          ip = s.pool.allocate();
        }
        const endpointId = randomBytes(32).toString('hex');
        sb.endpoints.push({ rec, networkId: s.rec.Id, endpointId, ip, mac: macFromIP(ip), hostIf: vethName(endpointId), ifName: `eth${i}`, aliases: ep.Aliases ?? [] });
      });
      const primary = sb.endpoints.find((e) => !this.nets.stateOf(e.networkId).rec.Internal);
      if (primary) {
        const reqs = portRequests(hc.PortBindings as never, rec.Config.ExposedPorts, Boolean(hc.PublishAllPorts));
        sb.ports = await this.allocatePorts(reqs, rec, primary.endpointId);
        sb.dnats = sb.ports.map((p) => ({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: formatIPv4(primary.ip), containerPort: p.containerPort }));
      }
      const atts = sb.endpoints.map((e, i) => this.attachment(e, i === 0));
      const [made, ruled] = await Promise.allSettled([this.links.createSandbox(sb.nsPath, atts), sb.dnats.length ? this.firewall.changePorts(sb.dnats, []) : undefined]);
      rulesAdded = ruled.status === 'fulfilled' && sb.dnats.length > 0;
      if (made.status === 'rejected') throw made.reason;
      if (ruled.status === 'rejected') {
        await this.links.destroySandbox(sb.nsPath).catch(() => undefined);
        throw ruled.reason;
      }
    } catch (err) {
      if (rulesAdded) await this.firewall.changePorts([], sb.dnats).catch(() => undefined);
      this.unclaim(sb);
      throw err;
    }
    this.sandboxes.set(rec.Id, sb);
    for (const e of sb.endpoints) {
      this.nets.addEndpoint(e);
      this.nets.publishConnect('connect', e.networkId, rec.Id);
    }
    this.fillSettings(sb);
    const first = sb.endpoints[0];
    const embedded = sb.endpoints.map((e) => this.nets.stateOf(e.networkId)).find((s) => s.dns);
    return {
      netns: { mode: 'path', path: sb.nsPath },
      hosts: first ? [`${formatIPv4(first.ip)}\t${hostname}`] : [],
      resolvConf: resolv(embedded?.dns ? embedded.dns.address : undefined),
      hostGateway: hostGateway ?? (first ? formatIPv4(this.nets.stateOf(first.networkId).gateway!) : undefined),
    };
  }

  private findNet(id: string, name: string): ReturnType<NetworkService['stateOf']> | undefined {
    try {
      return this.nets.stateOf(id);
    } catch {
      try {
        return this.nets.stateOf(name);
      } catch {
        return undefined;
      }
    }
  }

  private attachment(e: LiveEndpoint, first: boolean): VethAttachment {
    const s = this.nets.stateOf(e.networkId);
    return {
      hostIf: e.hostIf,
      ifName: e.ifName,
      mac: e.mac,
      address: `${formatIPv4(e.ip)}/${s.subnet!.bits}`,
      bridge: s.rec.BridgeName!,
      mtu: Number(s.rec.Options['com.docker.network.driver.mtu']) || this.nets.opts.mtu,
      defaultGateway: first && !s.rec.Internal ? formatIPv4(s.gateway!) : undefined,
    };
  }

  /** Writes the live values into rec.NetworkSettings (what inspect shows). */
  private fillSettings(sb: Sandbox): void {
    const ns = this.settings(sb.rec);
    for (const e of sb.endpoints) {
      const s = this.nets.stateOf(e.networkId);
      const key = Object.keys(ns.Networks).find((k) => ns.Networks[k].NetworkID === s.rec.Id) ?? s.rec.Name;
      const cur = ns.Networks[key] ?? emptyEndpoint(s.rec.Id);
      const user = this.nets.isUserDefined(s.rec);
      ns.Networks[key] = {
        ...cur,
        NetworkID: s.rec.Id,
        EndpointID: e.endpointId,
        Gateway: formatIPv4(s.gateway!),
        IPAddress: formatIPv4(e.ip),
        IPPrefixLen: s.subnet!.bits,
        MacAddress: e.mac,
        DNSNames: user ? [sb.rec.Name.slice(1), ...e.aliases, sb.rec.Id.slice(0, 12)] : null,
      };
    }
    ns.Ports = portMap(sb.ports, sb.rec.Config.ExposedPorts, sb.rec.HostConfig.PortBindings as never);
    ns.SandboxKey = sb.nsPath;
    ns.SandboxID ||= randomBytes(32).toString('hex');
  }

  private clearSettings(rec: ContainerRecord): void {
    const ns = rec.NetworkSettings;
    if (!ns) return;
    for (const [k, ep] of Object.entries(ns.Networks)) {
      ns.Networks[k] = { ...ep, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '', DNSNames: null };
    }
    ns.Ports = {};
    ns.SandboxKey = '';
    ns.SandboxID = '';
  }

  // ---- ports -------------------------------------------------------------------------

  private isReserved(proto: string, ip: string, port: number): boolean {
    const ips = this.reserved.get(`${proto}/${port}`);
    if (!ips) return false;
    return ip === '0.0.0.0' || ips.has('0.0.0.0') || ips.has(ip);
  }

  private reserve(m: { proto: string; hostIp: string; hostPort: number }): void {
    const k = `${m.proto}/${m.hostPort}`;
    let s = this.reserved.get(k);
    if (!s) this.reserved.set(k, (s = new Set()));
    s.add(m.hostIp);
  }

  private unreserve(m: { proto: string; hostIp: string; hostPort: number }): void {
    const k = `${m.proto}/${m.hostPort}`;
    const s = this.reserved.get(k);
    s?.delete(m.hostIp);
    if (s && s.size === 0) this.reserved.delete(k);
  }

  /**
   * Chooses a host port for each request: the given one (or the first free of a range), or
   * the next free ephemeral port. Free means neither held by another berth container nor
   * bindable by anything else on the host right now.
   */
  private async allocatePorts(reqs: PortRequest[], rec: ContainerRecord, endpointId: string): Promise<PortMapping[]> {
    const out: PortMapping[] = [];
    try {
      for (const r of reqs) {
        let chosen: number | undefined;
        let why = '';
        if (r.hostPortLo === 0) {
          const [lo, hi] = this.portRange;
          const n = hi - lo + 1;
          for (let i = 0; i < n && chosen === undefined; i++) {
            const p = lo + ((this.portCursor - lo + i) % n);
            if (this.isReserved(r.proto, r.hostIp, p)) continue;
            if ((await this.probe(r.proto, r.hostIp, p)) !== undefined) continue;
            chosen = p;
            this.portCursor = p + 1 > hi ? lo : p + 1;
          }
          if (chosen === undefined) why = 'no free port in the ephemeral range';
        } else {
          for (let p = r.hostPortLo; p <= r.hostPortHi && chosen === undefined; p++) {
            if (this.isReserved(r.proto, r.hostIp, p)) await this.waitForDrain(r.proto, p);
            if (this.isReserved(r.proto, r.hostIp, p)) continue;
            const err = await this.probe(r.proto, r.hostIp, p);
            if (err === 'EADDRNOTAVAIL') {
              throw new InvalidParameterError(`failed to bind host port ${r.hostIp}:${p}/${r.proto}: cannot assign requested address`);
            }
            if (err === undefined) chosen = p;
          }
        }
        if (chosen === undefined) {
          const range = r.hostPortLo === 0 ? '' : r.hostPortLo === r.hostPortHi ? String(r.hostPortLo) : `${r.hostPortLo}-${r.hostPortHi}`;
          throw new SystemError(
            `driver failed programming external connectivity on endpoint ${rec.Name.slice(1)} (${endpointId.slice(0, 12)}): Bind for ${r.hostIp}:${range} failed: ${why || 'port is already allocated'}`,
          );
        }
        const m = { proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: chosen };
        this.reserve(m);
        out.push(m);
      }
    } catch (err) {
      for (const m of out) this.unreserve(m);
      throw err;
    }
    return out;
  }

  // ---- stop / remove -----------------------------------------------------------------

  private unclaim(sb: Sandbox): void {
    for (const e of sb.endpoints) {
      // The network may be gone by now (removed while the port rules were being deleted).
      const s = this.nets.all().find((n) => n.rec.Id === e.networkId);
      s?.pool?.release(e.ip);
      this.nets.removeEndpoint(e.networkId, sb.rec.Id);
    }
    for (const m of sb.ports) this.unreserve(m);
  }

  /** Waits while the port is held only by the rules of a container already gone. */
  private async waitForDrain(proto: string, port: number): Promise<void> {
    const pending = this.draining.get(`${proto}/${port}`);
    if (pending) await pending;
  }

  async release(rec: ContainerRecord): Promise<void> {
    const sb = this.sandboxes.get(rec.Id);
    if (!sb) {
      // A crash may have left the pinned namespace of a container berth no longer tracks.
      const leftover = path.join(this.opts.netnsDir, rec.Id);
      if (await fsp.access(leftover).then(() => true, () => false)) await this.links.destroySandbox(leftover);
      this.clearSettings(rec);
      return;
    }
    this.sandboxes.delete(rec.Id);
    for (const e of sb.endpoints) {
      this.nets.removeEndpoint(e.networkId, rec.Id);
      this.nets.publishConnect('disconnect', e.networkId, rec.Id);
    }
    this.clearSettings(rec);
    if (sb.dnats.length) this.removeRulesLater(sb);
    try {
      await this.links.destroySandbox(sb.nsPath);
    } catch (err) {
      log.warn('network teardown', { id: rec.Id.slice(0, 12), err: errorMessage(err) });
    }
    if (!sb.dnats.length) this.unclaim(sb);
  }

  /** Port-rule removals still running, by "proto/port": their ports and addresses are still taken. */
  private readonly draining = new Map<string, Promise<void>>();

  /**
   * Removes a released container's port rules without holding up the exit or removal that
   * released it: deleting an nf_tables rule waits out an RCU grace period (~10-15 ms here),
   * far longer than adding one. Its host ports and addresses stay taken until the rules are
   * gone, so nothing can be handed out that a stale rule still points at; a start that asks
   * for one of those ports waits for the removal. A crash meanwhile is covered by the
   * start-up sweep, which rewrites the DNAT chain from the live containers.
   */
  private removeRulesLater(sb: Sandbox): void {
    const done = this.firewall
      .changePorts([], sb.dnats)
      .catch((err) => log.warn('cannot remove port rules', { id: sb.rec.Id.slice(0, 12), err: errorMessage(err) }))
      .finally(() => {
        this.unclaim(sb);
        for (const m of sb.ports) if (this.draining.get(`${m.proto}/${m.hostPort}`) === done) this.draining.delete(`${m.proto}/${m.hostPort}`);
      });
    for (const m of sb.ports) this.draining.set(`${m.proto}/${m.hostPort}`, done);
  }

  /** Waits for every background rule removal (before the sweep, and in tests). */
  async settled(): Promise<void> {
    await Promise.all([...new Set(this.draining.values())]);
  }

  /** A running container re-adopted after a daemon restart: takes its resources back. */
  async restore(rec: ContainerRecord): Promise<void> {
    const ns = rec.NetworkSettings;
    if (!ns || this.modeOf(rec) !== 'bridge' || !ns.SandboxKey) return;
    const sb: Sandbox = { rec, nsPath: ns.SandboxKey, endpoints: [], ports: [], dnats: [] };
    Object.entries(ns.Networks).forEach(([name, ep], i) => {
      const s = ep.NetworkID ? this.findNet(ep.NetworkID, name) : undefined;
      const ip = parseIPv4(ep.IPAddress);
      if (!s || ip === undefined || !ep.EndpointID) return;
      try {
        s.pool?.claim(ip);
      } catch (err) {
        log.warn('re-adopted container address already taken', { id: rec.Id.slice(0, 12), ip: ep.IPAddress, err: errorMessage(err) });
      }
      const e: LiveEndpoint = { rec, networkId: s.rec.Id, endpointId: ep.EndpointID, ip, mac: ep.MacAddress, hostIf: vethName(ep.EndpointID), ifName: `eth${i}`, aliases: ep.Aliases ?? [] };
      sb.endpoints.push(e);
      this.nets.addEndpoint(e);
    });
    const primary = sb.endpoints.find((e) => !this.nets.stateOf(e.networkId).rec.Internal);
    for (const [key, list] of Object.entries(ns.Ports ?? {})) {
      const { port, proto } = parsePortKey(key);
      for (const b of list ?? []) {
        const m: PortMapping = { proto: proto as Proto, containerPort: port, hostIp: b.HostIp, hostPort: Number(b.HostPort) };
        this.reserve(m);
        sb.ports.push(m);
        if (primary) sb.dnats.push({ proto, hostIp: b.HostIp, hostPort: m.hostPort, containerIp: formatIPv4(primary.ip), containerPort: port });
      }
    }
    this.sandboxes.set(rec.Id, sb);
  }

  /**
   * After every container was re-adopted: rewrites berth's chains from what is live (rules of
   * containers that are gone disappear), unpins namespaces nobody owns and deletes veths on
   * berth's bridges that belong to no live endpoint.
   */
  async sweep(): Promise<void> {
    await this.settled();
    await this.nets.rewriteRules([...this.sandboxes.values()].flatMap((sb) => sb.dnats));
    const live = new Set([...this.sandboxes.values()].map((sb) => sb.nsPath));
    for (const name of await fsp.readdir(this.opts.netnsDir).catch(() => [] as string[])) {
      const p = path.join(this.opts.netnsDir, name);
      if (live.has(p)) continue;
      log.info('removing leftover network namespace', { file: p });
      await this.links.destroySandbox(p).catch((err) => log.warn('cannot remove leftover namespace', { file: p, err: errorMessage(err) }));
    }
    const ours = new Set(this.nets.bridgeNames());
    const liveIfs = new Set([...this.sandboxes.values()].flatMap((sb) => sb.endpoints.map((e) => e.hostIf)));
    for (const l of await this.links.links()) {
      if (l.master && ours.has(l.master) && l.kind === 'veth' && !liveIfs.has(l.ifname)) {
        log.info('removing leftover veth', { link: l.ifname });
        await this.links.deleteLink(l.ifname).catch(() => undefined);
      }
    }
  }

  // ---- connect / disconnect ----------------------------------------------------------

  async connect(rec: ContainerRecord, network: string, config: Partial<EndpointSettings> | undefined, running: boolean): Promise<void> {
    const s = this.nets.stateOf(network);
    const mode = this.modeOf(rec);
    if (mode === 'container' || mode === 'host' || s.rec.Driver === 'host') {
      throw new InvalidParameterError('container sharing network namespace with another container or host cannot be connected to any other network');
    }
    if (mode === 'none' || s.rec.Driver === 'null') {
      throw new InvalidParameterError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    const ns = this.settings(rec);
    if (Object.entries(ns.Networks).some(([k, ep]) => ep.NetworkID === s.rec.Id || k === s.rec.Name)) {
      throw new ForbiddenError(`endpoint with name ${rec.Name.slice(1)} already exists in network ${s.rec.Name}`);
    }
    const ep = this.endpointConfig(s.rec.Id, config);
    const sb = this.sandboxes.get(rec.Id);
    if (!running || !sb) {
      ns.Networks[s.rec.Name] = ep;
      return;
    }
    if (!s.pool || !s.subnet) throw new InvalidParameterError(`network ${s.rec.Name} has no address pool`);
    const want = ep.IPAMConfig?.IPv4Address;
    let ip: number;
    if (want) {
      ip = parseIPv4(want)!;
      s.pool.claim(ip);
    } else {
      ip = s.pool.allocate();
    }
    const hadResolver = sb.endpoints.some((e) => this.nets.stateOf(e.networkId).dns);
    const used = new Set(sb.endpoints.map((e) => e.ifName));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    const endpointId = randomBytes(32).toString('hex');
    const live: LiveEndpoint = { rec, networkId: s.rec.Id, endpointId, ip, mac: macFromIP(ip), hostIf: vethName(endpointId), ifName: `eth${n}`, aliases: ep.Aliases ?? [] };
    try {
      await this.links.addInterface(sb.nsPath, this.attachment(live, false));
    } catch (err) {
      s.pool.release(ip);
      throw err;
    }
    ns.Networks[s.rec.Name] = ep;
    sb.endpoints.push(live);
    this.nets.addEndpoint(live);
    this.fillSettings(sb);
    if (!hadResolver && s.dns) {
      // Its first user-defined network: names now go to the embedded server, as in Docker.
      // Written in place: the file is bind-mounted into the running container.
      const hc = rec.HostConfig;
      const text = containerResolvConf({ host: this.cachedHostResolv, dns: hc.Dns, search: hc.DnsSearch, options: hc.DnsOptions, embedded: s.dns.address });
      await fsp.writeFile(rec.ResolvConfPath, text).catch((err) => log.warn('cannot update resolv.conf', { id: rec.Id.slice(0, 12), err: errorMessage(err) }));
    }
    this.nets.publishConnect('connect', s.rec.Id, rec.Id);
  }

  async disconnect(rec: ContainerRecord, network: string, force: boolean, running: boolean): Promise<void> {
    let s: ReturnType<NetworkService['stateOf']> | undefined;
    try {
      s = this.nets.stateOf(network);
    } catch (err) {
      if (!force) throw err;
    }
    const ns = this.settings(rec);
    const key = Object.keys(ns.Networks).find((k) => (s ? ns.Networks[k].NetworkID === s.rec.Id || k === s.rec.Name : k === network));
    if (s && this.modeOf(rec) === 'host' && s.rec.Driver === 'host') {
      throw new InvalidParameterError('cannot disconnect container from host network - container was created in host network mode');
    }
    if (!key) throw new SystemError(`container ${rec.Id} is not connected to the network ${s?.rec.Name ?? network}`);
    const sb = this.sandboxes.get(rec.Id);
    const live = s && sb ? sb.endpoints.find((e) => e.networkId === s!.rec.Id) : undefined;
    if (running && sb && live) {
      await this.links.removeInterface(live.hostIf);
      // Ports published through this endpoint's address go with it.
      const ip = formatIPv4(live.ip);
      const gone = sb.dnats.filter((d) => d.containerIp === ip);
      if (gone.length) {
        await this.firewall.changePorts([], gone);
        sb.dnats = sb.dnats.filter((d) => d.containerIp !== ip);
        for (const m of sb.ports) this.unreserve(m);
        sb.ports = [];
      }
      s!.pool?.release(live.ip);
      this.nets.removeEndpoint(live.networkId, rec.Id);
      sb.endpoints = sb.endpoints.filter((e) => e !== live);
    }
    delete ns.Networks[key];
    if (sb) this.fillSettings(sb);
    if (s) this.nets.publishConnect('disconnect', s.rec.Id, rec.Id);
  }

  // ---- embedded DNS ------------------------------------------------------------------

  private sandboxByIp(networkId: string, ip: number): Sandbox | undefined {
    for (const sb of this.sandboxes.values()) if (sb.endpoints.some((e) => e.networkId === networkId && e.ip === ip)) return sb;
    return undefined;
  }

  /**
   * Answers a question from a container on network `networkId`: names (container name,
   * alias, short ID, optionally suffixed with the network's name) on the user-defined
   * networks the asking container is on; anything else goes to its upstream resolvers.
   */
  private dnsLookup(networkId: string, q: DnsQuestion, src: string): DnsDecision {
    const srcIp = parseIPv4(src);
    const sb = srcIp === undefined ? undefined : this.sandboxByIp(networkId, srcIp);
    const netIds = sb ? [...new Set(sb.endpoints.map((e) => e.networkId))] : [networkId];
    const states = netIds.map((id) => this.nets.stateOf(id)).filter((s) => this.nets.isUserDefined(s.rec));
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const upstream = (): DnsDecision => ({ forward: upstreamServers(this.cachedHostResolv, sb?.rec.HostConfig.Dns) });
    if (q.type === TYPE_PTR) {
      const ip = parseIPv4(ptrToIPv4(name) ?? '');
      if (ip === undefined) return upstream();
      for (const s of states) {
        for (const e of s.endpoints.values()) {
          if (e.ip === ip) return { rcode: RCODE_NOERROR, answers: [{ type: TYPE_PTR, value: `${e.rec.Name.slice(1)}.${s.rec.Name}` }] };
        }
      }
      return upstream();
    }
    const answers: Answer[] = [];
    let known = false;
    for (const s of states) {
      const suffix = `.${s.rec.Name.toLowerCase()}`;
      const short = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
      for (const e of s.endpoints.values()) {
        const names = [e.rec.Name.slice(1), e.rec.Id.slice(0, 12), ...e.aliases].map((x) => x.toLowerCase());
        if (!names.includes(short)) continue;
        known = true;
        if (q.type === TYPE_A) answers.push({ type: TYPE_A, value: formatIPv4(e.ip) });
      }
    }
    if (known) return { rcode: RCODE_NOERROR, answers };
    // Single-label names that are not containers stay local, as Docker does for unknown ones;
    // a container only on internal networks gets no answers from outside (Docker's rule).
    if (!name.includes('.') && states.length) return { rcode: RCODE_NXDOMAIN, answers: [] };
    if (states.length && states.every((s) => s.rec.Internal)) return { rcode: RCODE_NXDOMAIN, answers: [] };
    return upstream();
  }

  /** The host's resolv.conf as last read (refreshed on each start; DNS must answer synchronously). */
  private cachedHostResolv = '';

  async refreshHostResolv(): Promise<void> {
    this.cachedHostResolv = await this.hostResolv();
  }
}
