/**
 * What the networks engine needs of the host, declared here and implemented by
 * drivers/network (LinkDriver, IptablesFirewall). Unit tests substitute fakes.
 */
import type { BridgeNet, DnatRule } from '../../drivers/network/iptables-rules.js';
import type { LinkInfo, VethAttachment } from '../../drivers/network/link-driver.js';

export type { BridgeNet, DnatRule, LinkInfo, VethAttachment };

/** Bridges, veth pairs and pinned network namespaces. */
export interface LinkOps {
  /** Creates the bridge when missing, with its gateway address, up. */
  ensureBridge(name: string, gatewayCidr: string, mtu: number): Promise<void>;
  deleteLink(name: string): Promise<void>;
  links(): Promise<LinkInfo[]>;
  /** IPv4 routes and addresses on the host ("10.0.0.0/8"), to keep new subnets clear of them. */
  usedCidrs(): Promise<string[]>;
  /** Pins a new namespace to the file and attaches its interfaces; leaves nothing when it fails. */
  createSandbox(nsPath: string, atts: VethAttachment[]): Promise<void>;
  addInterface(nsPath: string, a: VethAttachment): Promise<void>;
  removeInterface(hostIf: string): Promise<void>;
  /** Unpins the namespace (the kernel then destroys it with its veth pairs). */
  destroySandbox(nsPath: string): Promise<void>;
  /** net.ipv4.ip_forward=1 when it is not. */
  enableForwarding(): Promise<void>;
}

/** The packet filter: network-level rules and one rule per published port. */
export interface Firewall {
  ensure(): Promise<void>;
  setNetworks(nets: BridgeNet[], ports?: DnatRule[]): Promise<void>;
  changePorts(add: DnatRule[], remove: DnatRule[]): Promise<void>;
}
