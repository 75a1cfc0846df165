import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { chainNames, purgeText } from '../../src/drivers/network/iptables-rules.js';

/** The network a test daemon gets: its own bridge, chains and 10.123.x.0/21 block. */
export interface TestNetwork {
  bridge: string;
  /** The default bridge's address, e.g. 10.123.40.1/24. */
  bip: string;
  /** The first three octets of the default bridge's subnet ("10.123.40"). */
  prefix: string;
  /** The i-th /24 of the block (0: the default bridge; 1-5: networks made without --subnet; 6, 7: free for tests). */
  subnet(i: number): string;
  args: string[];
}

function routedPrefixes(): string[] {
  const r = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').map((l) => l.split(' ')[0]);
}

/**
 * A bridge name (`bt` + hex) and a 10.123.N.0/21 block not routed on the host: the default
 * bridge takes its first /24, user networks without --subnet the next five, and the last
 * two are for tests that give --subnet. Two test daemons never share a bridge, a subnet
 * or an iptables chain.
 */
export function testNetwork(): TestNetwork {
  const routes = routedPrefixes();
  for (let attempt = 0; attempt < 64; attempt++) {
    const n = 8 * Math.floor(Math.random() * 32);
    if (routes.some((r) => /^10\.123\.(\d+)\./.test(r) && Math.floor(Number(r.split('.')[2]) / 8) * 8 === n)) continue;
    const bridge = `bt${randomBytes(4).toString('hex')}`;
    const bip = `10.123.${n}.1/24`;
    return {
      bridge,
      bip,
      prefix: `10.123.${n}`,
      subnet: (i) => `10.123.${n + i}.0/24`,
      // The pool's last two /24s are left to tests: 10.123.N.0/22 and 10.123.N+4.0/23.
      args: ['--bridge', bridge, '--bip', bip, '--default-address-pool', `base=10.123.${n}.0/22,size=24`, '--default-address-pool', `base=10.123.${n + 4}.0/23,size=24`],
    };
  }
  throw new Error('no free 10.123.x.0/21 block for a test network');
}

/** The bridges a daemon's network records name (the default one and user-defined ones). */
export async function daemonBridges(dataRoot: string): Promise<string[]> {
  const dir = path.join(dataRoot, 'network');
  const out: string[] = [];
  for (const f of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.json')) continue;
    try {
      const rec = JSON.parse(await fsp.readFile(path.join(dir, f), 'utf8')) as { BridgeName?: string };
      if (rec.BridgeName) out.push(rec.BridgeName);
    } catch {
      /* a torn temp file */
    }
  }
  return out;
}

/**
 * Removes what a (stopped) test daemon's networking may have left: its bridges and the
 * veths on them, its chains and the jumps into them, its claim on the bridge. Runs even
 * when a test failed.
 */
export async function removeNetworkLeftovers(bridge: string, dataRoot: string): Promise<void> {
  const bridges = new Set([bridge, ...(await daemonBridges(dataRoot))]);
  const links = JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout || '[]') as { ifname: string; master?: string }[];
  for (const l of links) {
    if ((l.master && bridges.has(l.master)) || bridges.has(l.ifname)) spawnSync('ip', ['link', 'del', l.ifname]);
  }
  await fsp.rm(`/run/berth-bridges/${bridge}.pid`, { force: true });
  const save = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
  const text = purgeText(chainNames(bridge), save);
  if (text) spawnSync('iptables-restore', ['-w', '--noflush'], { input: text });
}
