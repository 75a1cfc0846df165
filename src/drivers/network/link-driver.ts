/**
 * Bridges, veth pairs and network namespaces through `ip -batch` (one process, however
 * many commands), all via the command seam.
 *
 * A container's network namespace is pinned to a file (a bind mount of nsfs made by
 * `unshare --net=FILE`), created before the task, which joins it by path. One `ip -batch`
 * started inside the new namespace does all of the set-up: each veth pair is created from
 * there with its host end placed in the daemon's namespace, on its bridge and up, and its
 * container end configured; hairpin is a sysfs write. Tearing down is unmounting the file:
 * the kernel destroys the namespace with its veth pairs (no 19 ms `ip link del` each).
 * The per-container steps go to a shell worker as one script each (set-up: one round
 * trip, one `ip`; tear-down: one round trip, one `umount`).
 */
import { promises as fsp } from 'node:fs';
import { runCommand } from '../sys/command.js';
import { shq, type ScriptRunner } from '../sys/shell-worker.js';
import { SystemError, errorMessage } from '../../lib/errors.js';
import type { CommandRunner } from './iptables.js';

/** One interface of a container on a bridge. */
export interface VethAttachment {
  /** Host-side name (≤ 15 chars). */
  hostIf: string;
  /** Name inside the container (eth0, eth1, ...). */
  ifName: string;
  mac: string;
  /** CIDR, e.g. 10.123.4.2/24. */
  address: string;
  bridge: string;
  mtu: number;
  /** Adds the default route via this gateway. */
  defaultGateway?: string;
}

export interface LinkInfo {
  ifname: string;
  master?: string;
  kind?: string;
}

export class LinkDriver {
  constructor(
    private readonly run: CommandRunner = runCommand,
    private readonly script: ScriptRunner = (text) => runCommand('/bin/sh', ['-c', text]),
    private readonly daemonNetns = `/proc/${process.pid}/ns/net`,
  ) {}

  private async runScript(text: string, what: string): Promise<void> {
    const r = await this.script(text);
    if (r.code !== 0) throw new SystemError(`${what}: ${r.stdout.trim() || 'exit status ' + r.code}`);
  }

  private async batch(lines: string[], opts: { force?: boolean } = {}): Promise<void> {
    if (lines.length === 0) return;
    const r = await this.run('ip', [...(opts.force ? ['-force'] : []), '-batch', '-'], { input: lines.join('\n') + '\n' });
    if (r.code !== 0 && !opts.force) throw new SystemError(`ip: ${(r.stderr || r.stdout).trim() || 'exit status ' + r.code}`);
  }

  /** Creates the bridge when missing, gives it its gateway address, brings it up. */
  async ensureBridge(name: string, gatewayCidr: string, mtu: number): Promise<void> {
    // "File exists" for a bridge or an address already there is fine: -force goes on.
    await this.batch([`link add name ${name} type bridge`, `link set ${name} mtu ${mtu}`, `addr replace ${gatewayCidr} dev ${name}`, `link set ${name} up`], { force: true });
    this.ifindexes.delete(name);
    const links = await this.links();
    if (!links.some((l) => l.ifname === name)) throw new SystemError(`cannot create bridge ${name}`);
    // A bridge kept from an earlier configuration (another --bip) keeps only the new address.
    const r = await this.run('ip', ['-j', '-4', 'addr', 'show', 'dev', name]);
    const stale = (JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[])
      .flatMap((l) => l.addr_info ?? [])
      .map((a) => `${a.local}/${a.prefixlen}`)
      .filter((a) => a !== gatewayCidr);
    await this.batch(stale.map((a) => `addr del ${a} dev ${name}`), { force: true });
    // Published ports on 127.0.0.1: DNAT from OUTPUT sends 127.0.0.1-sourced packets out
    // the bridge, which the kernel drops as martians unless route_localnet is set.
    await writeSysctl(`net/ipv4/conf/${name}/route_localnet`, '1');
  }

  async deleteLink(name: string): Promise<void> {
    this.ifindexes.delete(name);
    await this.batch([`link del ${name}`], { force: true });
  }

  /** Every link of the daemon's namespace (`ip -j -d link`). */
  async links(): Promise<LinkInfo[]> {
    const r = await this.run('ip', ['-j', '-d', 'link', 'show']);
    if (r.code !== 0) throw new SystemError(`ip link: ${r.stderr.trim()}`);
    const list = JSON.parse(r.stdout || '[]') as { ifname: string; master?: string; linkinfo?: { info_kind?: string } }[];
    return list.map((l) => ({ ifname: l.ifname, master: l.master, kind: l.linkinfo?.info_kind }));
  }

  /** IPv4 routes and interface addresses of the host, to keep new subnets clear of them. */
  async usedCidrs(): Promise<string[]> {
    const [routes, addrs] = await Promise.all([this.run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']), this.run('ip', ['-j', '-4', 'addr', 'show'])]);
    const out: string[] = [];
    for (const rt of JSON.parse(routes.stdout || '[]') as { dst?: string; type?: string }[]) {
      if (!rt.dst || rt.dst === 'default' || (rt.type && rt.type !== 'unicast')) continue;
      out.push(rt.dst.includes('/') ? rt.dst : `${rt.dst}/32`);
    }
    for (const l of JSON.parse(addrs.stdout || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[]) {
      for (const a of l.addr_info ?? []) if (a.local && a.prefixlen !== undefined) out.push(`${a.local}/${a.prefixlen}`);
    }
    return out;
  }

  /**
   * Pins a new network namespace to `nsPath` and sets it up: loopback and each veth pair
   * (configured from inside), then the host ends enslaved to their bridges. On failure
   * nothing is left: the namespace file is unmounted, which also destroys the veths.
   */
  async createSandbox(nsPath: string, atts: VethAttachment[]): Promise<void> {
    try {
      const lines = ['link set lo up'];
      for (const a of atts) lines.push(...(await this.vethLines(a)));
      // `: >` makes the file the namespace is bind-mounted on (a shell builtin: no process).
      await this.runScript(`: > ${shq(nsPath)} && unshare --net=${shq(nsPath)} ip -batch - ${heredoc(lines)}${hairpin(atts)}`, 'ip');
    } catch (err) {
      await this.destroySandbox(nsPath).catch(() => undefined);
      throw err;
    }
  }

  /**
   * One veth pair, made from inside the container's namespace by the same `ip` that
   * configures it: the host end is created straight in the daemon's namespace, enslaved to
   * its bridge (named by ifindex: names resolve in the current namespace) and up; the
   * container end gets its MAC, address, link and default route.
   */
  private async vethLines(a: VethAttachment): Promise<string[]> {
    const lines = [
      `link add ${a.hostIf} netns ${this.daemonNetns} master if${await this.ifindex(a.bridge)} up mtu ${a.mtu} type veth peer name ${a.ifName} address ${a.mac} mtu ${a.mtu}`,
      `addr add ${a.address} brd + dev ${a.ifName}`,
      `link set ${a.ifName} up`,
    ];
    if (a.defaultGateway) lines.push(`route add default via ${a.defaultGateway} dev ${a.ifName}`);
    return lines;
  }

  private readonly ifindexes = new Map<string, number>();

  private async ifindex(link: string): Promise<number> {
    let i = this.ifindexes.get(link);
    if (i === undefined) {
      i = Number((await fsp.readFile(`/sys/class/net/${link}/ifindex`, 'utf8')).trim());
      this.ifindexes.set(link, i);
    }
    return i;
  }

  /** Adds one interface to a running sandbox (network connect). */
  async addInterface(nsPath: string, a: VethAttachment): Promise<void> {
    try {
      await this.runScript(`nsenter --net=${shq(nsPath)} ip -batch - ${heredoc(await this.vethLines(a))}${hairpin([a])}`, 'ip');
    } catch (err) {
      await this.deleteLink(a.hostIf);
      throw err;
    }
  }

  /** Removes one interface from a running sandbox (network disconnect). */
  async removeInterface(hostIf: string): Promise<void> {
    await this.deleteLink(hostIf);
  }

  async enableForwarding(): Promise<void> {
    if ((await readSysctl('net/ipv4/ip_forward').catch(() => '1')) !== '1') await writeSysctl('net/ipv4/ip_forward', '1');
  }

  /** Unpins the namespace; the kernel destroys it (and its veth pairs) once no process is in it. */
  async destroySandbox(nsPath: string): Promise<void> {
    // busybox's umount (when there is one) skips libmount's parsing of every mount: 2 ms less.
    const r = await this.script(`if command -v busybox >/dev/null; then busybox umount ${shq(nsPath)}; else umount ${shq(nsPath)}; fi`);
    if (r.code !== 0 && !/not mounted|no mount point|No such file/i.test(r.stdout)) {
      throw new SystemError(`umount ${nsPath}: ${r.stdout.trim()}`);
    }
    await fsp.rm(nsPath, { force: true });
  }
}

/** Hairpin lets a container reach itself through its own published port (a sysfs write: no process). */
function hairpin(atts: VethAttachment[]): string {
  return atts.map((a) => `\n[ $? -eq 0 ] && echo 1 > /sys/class/net/${a.hostIf}/brport/hairpin_mode`).join('');
}

/** A here-document feeding `lines` to the command before it (they never contain the end word). */
function heredoc(lines: string[]): string {
  return `<<'BERTH_EOF'\n${lines.join('\n')}\nBERTH_EOF`;
}

/** Writes /proc/sys/<key>. */
export async function writeSysctl(key: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(`/proc/sys/${key}`, value);
  } catch (err) {
    throw new SystemError(`cannot set ${key.replace(/\//g, '.')}=${value}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function readSysctl(key: string): Promise<string> {
  return (await fsp.readFile(`/proc/sys/${key}`, 'utf8')).trim();
}
