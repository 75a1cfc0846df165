import type { IptablesDriver } from './iptables.js';
import { chainNames, dnatChangeText, ensureChainsText, networkRulesText, type BridgeNet, type ChainSet, type DnatRule } from './iptables-rules.js';

/**
 * berth's packet filter in the terms the networks engine uses (networks, published ports),
 * as iptables rules in one daemon's own chains (named after its default bridge).
 */
export class IptablesFirewall {
  readonly chains: ChainSet;

  constructor(
    bridge: string,
    private readonly iptables: IptablesDriver,
  ) {
    this.chains = chainNames(bridge);
  }

  /** Creates the chains and the jumps into them when missing. */
  async ensure(): Promise<void> {
    await this.iptables.restore(ensureChainsText(this.chains, await this.iptables.save()));
  }

  /** Rewrites the network-level rules; with `ports`, every published port's rule as well. */
  async setNetworks(nets: BridgeNet[], ports?: DnatRule[]): Promise<void> {
    await this.iptables.restore(networkRulesText(this.chains, nets, ports));
  }

  /** Adds and removes published ports' rules in one transaction. */
  async changePorts(add: DnatRule[], remove: DnatRule[]): Promise<void> {
    await this.iptables.restore(dnatChangeText(this.chains, add, remove));
  }
}

/** `--iptables=false`: no rules at all (published ports then do not work, as with dockerd). */
export class NoFirewall {
  async ensure(): Promise<void> {}
  async setNetworks(): Promise<void> {}
  async changePorts(): Promise<void> {}
}
