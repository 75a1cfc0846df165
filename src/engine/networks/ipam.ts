/**
 * IPv4 address management, pure: CIDR arithmetic, Docker's MAC-from-IP rule, the serial
 * address allocator of one subnet and the choice of a free subnet from address pools.
 * Addresses are unsigned 32-bit numbers here; strings only at the edges.
 */
import { ForbiddenError, InvalidParameterError, UnavailableError } from '../../lib/errors.js';

export interface Cidr {
  /** The address as given (a gateway in `--bip 10.0.0.1/24`), not necessarily the network. */
  ip: number;
  bits: number;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255) || m.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(s: string): Cidr | undefined {
  const i = s.indexOf('/');
  if (i < 0) return undefined;
  const ip = parseIPv4(s.slice(0, i));
  const bitsText = s.slice(i + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > 32) return undefined;
  return { ip, bits };
}

export function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function networkOf(c: Cidr): number {
  return (c.ip & mask(c.bits)) >>> 0;
}

export function broadcastOf(c: Cidr): number {
  return (networkOf(c) | (~mask(c.bits) >>> 0)) >>> 0;
}

export function formatCidr(c: Cidr, asNetwork = true): string {
  return `${formatIPv4(asNetwork ? networkOf(c) : c.ip)}/${c.bits}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === networkOf(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.ip & mask(bits)) >>> 0) === ((b.ip & mask(bits)) >>> 0);
}

/** Docker's rule: 02:42 followed by the four bytes of the IPv4 address. */
export function macFromIP(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The addresses of one subnet: network, broadcast and gateway are never handed out;
 * dynamic addresses come from the ip-range (or the whole subnet) in serial order after
 * the last one given, so a just-released address (and its MAC, derived from it) is not
 * reused at once — stale neighbour entries of the previous holder would break hairpin.
 */
export class AddressPool {
  private readonly used = new Set<number>();
  private last: number;
  private readonly first: number;
  private readonly end: number;

  constructor(
    readonly subnet: Cidr,
    readonly gateway: number | undefined,
    readonly range?: Cidr,
  ) {
    const r = range ?? subnet;
    const small = subnet.bits >= 31;
    this.first = small ? networkOf(r) : Math.max(networkOf(r), networkOf(subnet) + 1);
    this.end = small ? broadcastOf(r) : Math.min(broadcastOf(r), broadcastOf(subnet) - 1);
    this.last = this.first - 1;
  }

  inUse(ip: number): boolean {
    return this.used.has(ip);
  }

  size(): number {
    return this.used.size;
  }

  /** Claims a given address (a static `--ip`, or one re-adopted after a restart). */
  claim(ip: number): void {
    if (!contains(this.subnet, ip)) throw new InvalidParameterError(`no configured subnet contains IP address ${formatIPv4(ip)}`);
    if (ip === this.gateway || this.used.has(ip) || (this.subnet.bits < 31 && (ip === networkOf(this.subnet) || ip === broadcastOf(this.subnet)))) {
      throw new ForbiddenError('Address already in use');
    }
    this.used.add(ip);
  }

  /** The next free address after the last one handed out, wrapping around. */
  allocate(): number {
    const n = this.end - this.first + 1;
    for (let i = 1; i <= n; i++) {
      const ip = this.first + ((this.last - this.first + i) % n + n) % n;
      if (ip === this.gateway || this.used.has(ip)) continue;
      this.used.add(ip);
      this.last = ip;
      return ip >>> 0;
    }
    throw new UnavailableError('no available addresses on this pool');
  }

  release(ip: number): void {
    this.used.delete(ip);
  }
}

export interface AddressPoolSpec {
  base: Cidr;
  /** Prefix length of each subnet carved from the base. */
  size: number;
}

/** dockerd's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export const DEFAULT_ADDRESS_POOLS: AddressPoolSpec[] = [
  { base: parseCidr('172.17.0.0/16')!, size: 16 },
  { base: parseCidr('172.18.0.0/16')!, size: 16 },
  { base: parseCidr('172.19.0.0/16')!, size: 16 },
  { base: parseCidr('172.20.0.0/14')!, size: 16 },
  { base: parseCidr('172.24.0.0/14')!, size: 16 },
  { base: parseCidr('172.28.0.0/14')!, size: 16 },
  { base: parseCidr('192.168.0.0/16')!, size: 20 },
];

/** `base=10.10.0.0/16,size=24` (dockerd's --default-address-pool). */
export function parseAddressPool(s: string): AddressPoolSpec {
  const kv = new Map<string, string>();
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new InvalidParameterError(`invalid default address pool: ${s}`);
    kv.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  const base = parseCidr(kv.get('base') ?? '');
  const size = Number(kv.get('size'));
  if (!base || !Number.isInteger(size) || size < base.bits || size > 30) {
    throw new InvalidParameterError(`invalid default address pool: ${s}`);
  }
  return { base: { ip: networkOf(base), bits: base.bits }, size };
}

/** The first subnet of the pools that overlaps none of `taken` (routes on the host, other networks). */
export function pickFreeSubnet(pools: AddressPoolSpec[], taken: Cidr[]): Cidr {
  for (const p of pools) {
    const step = 2 ** (32 - p.size);
    const count = 2 ** (p.size - p.base.bits);
    for (let i = 0; i < count; i++) {
      const cand: Cidr = { ip: (networkOf(p.base) + i * step) >>> 0, bits: p.size };
      if (!taken.some((t) => overlaps(t, cand))) return cand;
    }
  }
  throw new InvalidParameterError('all predefined address pools have been fully subnetted');
}
