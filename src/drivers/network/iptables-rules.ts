/**
 * berth's iptables rules as `iptables-restore --noflush` text, pure. All rules live in
 * chains of one daemon, named after its default bridge (so two daemons never touch each
 * other's rules); the host's built-in chains only get one jump each into them.
 *
 *   filter FORWARD    → BERTH-FWD-<b>: isolation between networks, replies, published
 *                       ports (conntrack DNAT), traffic inside a bridge, outbound
 *   filter INPUT      → BERTH-IN-<b>: the embedded DNS on user networks' gateways (for
 *                       hosts whose INPUT policy is DROP)
 *   nat PREROUTING,
 *       OUTPUT (LOCAL) → BERTH-DNAT-<b>: one DNAT per published port
 *   nat POSTROUTING   → BERTH-POST-<b>: outbound MASQUERADE, 127.0.0.1 → bridge (localhost
 *                       publishing needs it with route_localnet), hairpin
 *
 * Published ports need no filter rule per container (the conntrack DNAT state accepts
 * them), so a container costs one nat rule per port and nothing when it publishes none.
 */

export interface ChainSet {
  fwd: string;
  input: string;
  iso1: string;
  iso2: string;
  dnat: string;
  post: string;
}

export function chainNames(bridge: string): ChainSet {
  return {
    fwd: `BERTH-FWD-${bridge}`,
    input: `BERTH-IN-${bridge}`,
    iso1: `BERTH-ISO1-${bridge}`,
    iso2: `BERTH-ISO2-${bridge}`,
    dnat: `BERTH-DNAT-${bridge}`,
    post: `BERTH-POST-${bridge}`,
  };
}

export interface BridgeNet {
  bridge: string;
  /** The subnet as a CIDR (network address). */
  subnet: string;
  internal: boolean;
  /** Inter-container communication on the bridge (com.docker.network.bridge.enable_icc). */
  icc: boolean;
  /** com.docker.network.bridge.enable_ip_masquerade */
  masquerade: boolean;
  /** The embedded DNS listens on the gateway (user-defined networks). */
  dns?: boolean;
}

export interface DnatRule {
  proto: string;
  /** '0.0.0.0' for every local address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export function dnatRuleSpec(ch: ChainSet, r: DnatRule): string {
  const dst = r.hostIp && r.hostIp !== '0.0.0.0' ? ` -d ${r.hostIp}/32` : '';
  return `${ch.dnat}${dst} -p ${r.proto} -m ${r.proto} --dport ${r.hostPort} -j DNAT --to-destination ${r.containerIp}:${r.containerPort}`;
}

function filterNetworkRules(ch: ChainSet, nets: BridgeNet[]): string[] {
  const lines = [`-A ${ch.fwd} -j ${ch.iso1}`];
  for (const n of nets) {
    if (n.dns) lines.push(`-A ${ch.input} -i ${n.bridge} -p udp -m udp --dport 53 -j ACCEPT`);
    lines.push(`-A ${ch.iso1} -i ${n.bridge} ! -o ${n.bridge} -j ${ch.iso2}`);
    lines.push(`-A ${ch.iso2} -o ${n.bridge} -j DROP`);
    if (n.internal) {
      lines.push(`-A ${ch.fwd} -i ${n.bridge} ! -o ${n.bridge} -j DROP`);
      lines.push(`-A ${ch.fwd} -o ${n.bridge} ! -i ${n.bridge} -j DROP`);
    } else {
      lines.push(`-A ${ch.fwd} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
      lines.push(`-A ${ch.fwd} -o ${n.bridge} -m conntrack --ctstate DNAT -j ACCEPT`);
      lines.push(`-A ${ch.fwd} -i ${n.bridge} ! -o ${n.bridge} -j ACCEPT`);
    }
    lines.push(`-A ${ch.fwd} -i ${n.bridge} -o ${n.bridge} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
  }
  return lines;
}

function natNetworkRules(ch: ChainSet, nets: BridgeNet[]): string[] {
  const lines: string[] = [];
  for (const n of nets) {
    if (!n.internal && n.masquerade) lines.push(`-A ${ch.post} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
    lines.push(`-A ${ch.post} -s 127.0.0.0/8 -o ${n.bridge} -j MASQUERADE`);
    lines.push(`-A ${ch.post} -s ${n.subnet} -d ${n.subnet} -o ${n.bridge} -m conntrack --ctstate DNAT -j MASQUERADE`);
  }
  return lines;
}

/**
 * Rewrites the network-level chains (declaring a chain in restore input flushes it) and,
 * when `dnats` is given, the DNAT chain too — used at start to drop the rules of
 * containers that are gone.
 */
export function networkRulesText(ch: ChainSet, nets: BridgeNet[], dnats?: DnatRule[]): string {
  const out = ['*filter', `:${ch.fwd} - [0:0]`, `:${ch.input} - [0:0]`, `:${ch.iso1} - [0:0]`, `:${ch.iso2} - [0:0]`, ...filterNetworkRules(ch, nets), 'COMMIT', '*nat', `:${ch.post} - [0:0]`];
  if (dnats) out.push(`:${ch.dnat} - [0:0]`, ...dnats.map((r) => `-A ${dnatRuleSpec(ch, r)}`));
  out.push(...natNetworkRules(ch, nets), 'COMMIT', '');
  return out.join('\n');
}

/** Adds and deletes DNAT rules in one transaction. */
export function dnatChangeText(ch: ChainSet, add: DnatRule[], del: DnatRule[]): string {
  if (add.length === 0 && del.length === 0) return '';
  return ['*nat', ...del.map((r) => `-D ${dnatRuleSpec(ch, r)}`), ...add.map((r) => `-A ${dnatRuleSpec(ch, r)}`), 'COMMIT', ''].join('\n');
}

/** The jumps from built-in chains, as [table, built-in chain, rule spec]. */
function jumps(ch: ChainSet): [string, string, string][] {
  return [
    ['filter', 'FORWARD', `-j ${ch.fwd}`],
    ['filter', 'INPUT', `-j ${ch.input}`],
    ['nat', 'PREROUTING', `-m addrtype --dst-type LOCAL -j ${ch.dnat}`],
    ['nat', 'OUTPUT', `-m addrtype --dst-type LOCAL -j ${ch.dnat}`],
    ['nat', 'POSTROUTING', `-j ${ch.post}`],
  ];
}

/** Parses `iptables-save` output into table → lines. */
export function parseSave(save: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      out.set(table, []);
    } else if (table && (line.startsWith('-A ') || line.startsWith(':'))) {
      out.get(table)!.push(line);
    }
  }
  return out;
}

function hasJump(tables: Map<string, string[]>, table: string, builtin: string, target: string): boolean {
  return (tables.get(table) ?? []).some((l) => l.startsWith(`-A ${builtin} `) && l.endsWith(` -j ${target}`));
}

function hasChain(tables: Map<string, string[]>, table: string, chain: string): boolean {
  return (tables.get(table) ?? []).some((l) => l.startsWith(`:${chain} `));
}

/**
 * Creates berth's chains when missing and the jumps into them (FORWARD first, so the host's
 * DROP policy or other rules do not decide for berth's bridges). Empty when all is there.
 */
export function ensureChainsText(ch: ChainSet, save: string): string {
  const t = parseSave(save);
  const filter: string[] = [];
  const nat: string[] = [];
  for (const c of [ch.fwd, ch.input, ch.iso1, ch.iso2]) if (!hasChain(t, 'filter', c)) filter.push(`:${c} - [0:0]`);
  for (const c of [ch.dnat, ch.post]) if (!hasChain(t, 'nat', c)) nat.push(`:${c} - [0:0]`);
  for (const [table, builtin, spec] of jumps(ch)) {
    const target = spec.slice(spec.lastIndexOf(' ') + 1);
    if (hasJump(t, table, builtin, target)) continue;
    const line = table === 'filter' ? `-I ${builtin} 1 ${spec}` : `-A ${builtin} ${spec}`;
    (table === 'filter' ? filter : nat).push(line);
  }
  const out: string[] = [];
  if (filter.length) out.push('*filter', ...filter, 'COMMIT');
  if (nat.length) out.push('*nat', ...nat, 'COMMIT');
  return out.length ? out.join('\n') + '\n' : '';
}

/** Removes the jumps and the chains of one daemon (for tests' clean-up and `--iptables` changes). */
export function purgeText(ch: ChainSet, save: string): string {
  const t = parseSave(save);
  const mine = new Set(Object.values(ch));
  const out: string[] = [];
  for (const table of ['filter', 'nat']) {
    const lines = t.get(table) ?? [];
    const chains = [...mine].filter((c) => hasChain(t, table, c));
    const refs = lines.filter((l) => {
      if (!l.startsWith('-A ')) return false;
      const owner = l.split(' ')[1];
      const target = l.slice(l.lastIndexOf(' -j ') + 4).split(' ')[0];
      return !mine.has(owner) && mine.has(target);
    });
    if (!chains.length && !refs.length) continue;
    out.push(`*${table}`, ...refs.map((l) => '-D' + l.slice(2)), ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}
