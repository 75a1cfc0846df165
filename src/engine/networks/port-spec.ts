/**
 * Published-port specifications, pure: the `PortBindings`/`ExposedPorts` of a container
 * as Docker's API carries them ("80/tcp" → [{HostIp, HostPort}]) turned into concrete
 * requests for the port allocator, validated with dockerd's messages.
 */
import { InvalidParameterError } from '../../lib/errors.js';
import { parseIPv4 } from './ipam.js';

export type Proto = 'tcp' | 'udp' | 'sctp';
export const PROTOCOLS: Proto[] = ['tcp', 'udp', 'sctp'];

export interface PortKey {
  port: number;
  proto: Proto;
}

export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

/** One port to publish: a host port (or a range to pick from; 0 = any ephemeral one). */
export interface PortRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  hostPortLo: number;
  hostPortHi: number;
}

/** A published port once a host port was chosen. */
export interface PortMapping {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** "80", "80/tcp", "53/UDP" → {port, proto}; port 0, > 65535 or an unknown protocol is invalid. */
export function parsePortKey(key: string): PortKey {
  const [num, protoRaw = 'tcp', ...rest] = key.split('/');
  const proto = protoRaw.toLowerCase() as Proto;
  if (rest.length || !/^\d{1,5}$/.test(num) || Number(num) === 0 || Number(num) > 65535 || !PROTOCOLS.includes(proto)) {
    throw new InvalidParameterError(`invalid port specification: "${key}"`);
  }
  return { port: Number(num), proto };
}

/** "8080" or "8000-8010" (HostPort); "" is any port. */
export function parseHostPortRange(s: string): [number, number] {
  if (s === '' || s === '0') return [0, 0];
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo === 0 || lo > 65535 || hi > 65535 || hi < lo) throw new InvalidParameterError(`invalid port specification: "${s}"`);
  return [lo, hi];
}

/** Checks PortBindings and ExposedPorts as dockerd's validatePortBindings does. */
export function validatePorts(bindings: PortBindings | undefined, exposed: Record<string, unknown> | undefined): void {
  for (const key of Object.keys(exposed ?? {})) parsePortKey(key);
  for (const [key, list] of Object.entries(bindings ?? {})) {
    parsePortKey(key);
    for (const b of list ?? []) {
      parseHostPortRange(b.HostPort ?? '');
      if (b.HostIp && parseIPv4(b.HostIp) === undefined && b.HostIp !== '::' && !b.HostIp.includes(':')) {
        throw new InvalidParameterError(`invalid host IP address: "${b.HostIp}"`);
      }
    }
  }
}

/**
 * The ports to publish: every binding of PortBindings, and with PublishAllPorts every
 * exposed port that has none (on a random port). IPv6 host addresses are skipped: berth's
 * networks are IPv4 only.
 */
export function portRequests(bindings: PortBindings | undefined, exposed: Record<string, unknown> | undefined, publishAll: boolean): PortRequest[] {
  const out: PortRequest[] = [];
  const keys = new Set(Object.keys(bindings ?? {}));
  const push = (key: string, hostIp: string, hostPort: string): void => {
    const { port, proto } = parsePortKey(key);
    if (hostIp.includes(':')) return;
    const [lo, hi] = parseHostPortRange(hostPort);
    out.push({ proto, containerPort: port, hostIp: hostIp || '0.0.0.0', hostPortLo: lo, hostPortHi: hi });
  };
  for (const [key, list] of Object.entries(bindings ?? {})) {
    for (const b of list ?? []) push(key, b.HostIp ?? '', b.HostPort ?? '');
    if (publishAll && (!list || list.length === 0)) push(key, '', '');
  }
  if (publishAll) for (const key of Object.keys(exposed ?? {})) if (!keys.has(key)) push(key, '', '');
  return out;
}

/** NetworkSettings.Ports: every exposed or bound port, with its host bindings (null when none). */
export function portMap(mappings: PortMapping[], exposed: Record<string, unknown> | undefined, bindings: PortBindings | undefined): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of [...Object.keys(exposed ?? {}), ...Object.keys(bindings ?? {})]) {
    const { port, proto } = parsePortKey(key);
    out[`${port}/${proto}`] ??= null;
  }
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.proto}`;
    (out[key] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}
