/**
 * What the containers engine needs of the network layer, declared here (the engine side)
 * and implemented by engine/networks. The engine owns the container record and persists
 * it; the attacher fills `rec.NetworkSettings` in place and the engine saves the record.
 *
 * Lifecycle of one container:
 *   validate (create)  → checks NetworkMode, endpoint configs and ports; records the
 *                        networks to join (no resource is taken yet)
 *   prepare  (start)   → before the runtime creates the task: pins the network namespace,
 *                        attaches the endpoints, reserves host ports, adds the rules; when
 *                        it throws nothing is left behind
 *   release  (exit, failed start, removal) → tears all of it down; idempotent
 *   restore  (daemon start, running container re-adopted) → takes its addresses, ports and
 *                        names back without touching the kernel
 *   connect / disconnect → change the networks of a container, live when it runs
 */
import type { ContainerRecord } from './container-record.js';

/** Docker's EndpointSettings, as served in NetworkSettings.Networks. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** The persisted part of a container's NetworkSettings. */
export interface ContainerNetworkSettings {
  Networks: Record<string, EndpointSettings>;
  Ports: PortMap;
  SandboxID: string;
  SandboxKey: string;
}

export type NetnsSpec = { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };

export interface PreparedNetwork {
  /** The namespace the task gets: a pinned file it joins, the host's, or a new empty one. */
  netns: NetnsSpec;
  /** /etc/hosts lines after the localhost block ("10.1.0.2\thostname"). */
  hosts: string[];
  /** The whole /etc/resolv.conf. */
  resolvConf: string;
  /** What `--add-host NAME:host-gateway` maps to (the default bridge's gateway). */
  hostGateway?: string;
}

export interface NetworkAttacher {
  validate(rec: ContainerRecord, endpointsConfig: Record<string, Partial<EndpointSettings> | null> | undefined): Promise<void>;
  prepare(rec: ContainerRecord): Promise<PreparedNetwork>;
  release(rec: ContainerRecord): Promise<void>;
  restore(rec: ContainerRecord): Promise<void>;
  connect(rec: ContainerRecord, network: string, config: Partial<EndpointSettings> | undefined, running: boolean): Promise<void>;
  disconnect(rec: ContainerRecord, network: string, force: boolean, running: boolean): Promise<void>;
}

export function emptyEndpoint(networkId = ''): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}
