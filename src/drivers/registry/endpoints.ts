/**
 * Where a registry domain is reached and how (dockerd's registry.Service endpoints):
 * docker.io through its mirrors, then the official endpoint; insecure registries (listed,
 * or in an insecure CIDR such as the default 127.0.0.0/8) over HTTPS without
 * verification, then plain HTTP; every other registry over HTTPS with the system CAs plus
 * the per-registry CAs and client certificates of `certs.d/HOST[:PORT]/`.
 */
import { promises as fsp } from 'node:fs';
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as path from 'node:path';
import { InvalidParameterError, isErrno } from '../../lib/errors.js';

export const DOCKER_IO = 'docker.io';
/** The key docker's config.json and X-Registry-Auth use for Docker Hub. */
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';
export const DEFAULT_DOCKER_IO_ENDPOINT = 'https://registry-1.docker.io';

export interface RegistryOptions {
  /** `--insecure-registry`: `host[:port]` names or CIDRs. 127.0.0.0/8 is always insecure. */
  insecureRegistries: string[];
  /** `--registry-mirror`: URLs of pull-through mirrors of docker.io. */
  mirrors: string[];
  /** Directories of per-registry TLS material, searched in order (`<dir>/<host:port>/ca.crt`). */
  certsDirs: string[];
  /** The official endpoint of docker.io (tests and air-gapped setups point it elsewhere). */
  dockerIoEndpoint: string;
  /** Insecure without being listed; dockerd's default, loopback, unless given. */
  defaultInsecure?: string[];
}

export interface TlsMaterial {
  /** Extra CA certificates (PEM), besides the system's. */
  ca: Buffer[];
  cert?: Buffer;
  key?: Buffer;
}

export interface Endpoint {
  /** Base URL without a trailing slash: `https://127.0.0.1:5000`, a mirror may have a path. */
  url: string;
  /** HTTPS without certificate verification (an insecure registry's first try). */
  skipVerify: boolean;
  mirror: boolean;
  /** Failures here make the caller try the next endpoint (mirrors, HTTPS → HTTP). */
  tls: TlsMaterial;
}

/** Checks and normalizes the options' values (the daemon refuses bad ones at start). */
export function validateRegistryOptions(o: RegistryOptions): RegistryOptions {
  const mirrors = o.mirrors.map((m) => {
    let u: URL;
    try {
      u = new URL(m);
    } catch {
      throw new InvalidParameterError(`invalid mirror: "${m}" is not a valid URI`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidParameterError(`invalid mirror: unsupported scheme "${u.protocol.slice(0, -1)}" in "${m}"`);
    if (u.username || u.password) throw new InvalidParameterError(`invalid mirror: username/password not allowed in URI "${m}"`);
    if (u.search || u.hash) throw new InvalidParameterError(`invalid mirror: query or fragment not allowed in URI "${m}"`);
    return u.toString().replace(/\/+$/, '');
  });
  for (const r of o.insecureRegistries) {
    if (r.includes('://')) throw new InvalidParameterError(`insecure registry ${r} should not contain '://'`);
  }
  return { ...o, mirrors };
}

function parseCidr(s: string): { net: net.BlockList } | undefined {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m || net.isIP(m[1]) === 0) return undefined;
  const bl = new net.BlockList();
  bl.addSubnet(m[1], Number(m[2]), net.isIP(m[1]) === 6 ? 'ipv6' : 'ipv4');
  return { net: bl };
}

/** `host:port` → host (brackets removed from IPv6 literals). */
export function hostOnly(hostPort: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (m) return m[1];
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

export class RegistryEndpoints {
  private readonly cidrs: net.BlockList[] = [];
  private readonly names = new Set<string>();

  constructor(readonly options: RegistryOptions) {
    // dockerd's default: loopback registries need no TLS.
    for (const r of [...(options.defaultInsecure ?? ['127.0.0.0/8', '::1/128']), ...options.insecureRegistries]) {
      const c = parseCidr(r);
      if (c) this.cidrs.push(c.net);
      else this.names.add(r.toLowerCase());
    }
  }

  /** dockerd's isSecureIndex: listed names, then the addresses the name resolves to. */
  async isInsecure(domain: string): Promise<boolean> {
    if (domain === DOCKER_IO) return false;
    if (this.names.has(domain.toLowerCase())) return true;
    const host = hostOnly(domain);
    let addrs: string[];
    if (net.isIP(host)) addrs = [host];
    else {
      try {
        addrs = (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
      } catch {
        return false;
      }
    }
    return addrs.some((a) => this.cidrs.some((c) => c.check(a, net.isIP(a) === 6 ? 'ipv6' : 'ipv4')));
  }

  /** The endpoints to try for a registry domain, in order. Mirrors only serve pulls of docker.io. */
  async lookup(domain: string, purpose: 'pull' | 'push' | 'login'): Promise<Endpoint[]> {
    const out: Endpoint[] = [];
    if (domain === DOCKER_IO) {
      if (purpose === 'pull') {
        for (const m of this.options.mirrors) {
          const u = new URL(m);
          out.push({ url: m, skipVerify: false, mirror: true, tls: await this.tlsFor(u.host) });
        }
      }
      const official = new URL(this.options.dockerIoEndpoint);
      out.push({ url: this.options.dockerIoEndpoint.replace(/\/+$/, ''), skipVerify: false, mirror: false, tls: await this.tlsFor(official.host) });
      return out;
    }
    const tls = await this.tlsFor(domain);
    if (await this.isInsecure(domain)) {
      out.push({ url: `https://${domain}`, skipVerify: true, mirror: false, tls });
      out.push({ url: `http://${domain}`, skipVerify: false, mirror: false, tls });
    } else {
      out.push({ url: `https://${domain}`, skipVerify: false, mirror: false, tls });
    }
    return out;
  }

  /**
   * TLS material of `<certs dir>/<host[:port]>/`: `*.crt` are CAs, `X.cert` + `X.key` a
   * client certificate (dockerd's ReadCertsDirectory).
   */
  async tlsFor(hostPort: string): Promise<TlsMaterial> {
    const tls: TlsMaterial = { ca: [] };
    for (const base of this.options.certsDirs) {
      const dir = path.join(base, hostPort.replace(/[/\\]/g, '_'));
      let names: string[];
      try {
        names = (await fsp.readdir(dir)).sort();
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) continue;
        throw err;
      }
      for (const n of names) {
        if (n.endsWith('.crt')) tls.ca.push(await fsp.readFile(path.join(dir, n)));
        else if (n.endsWith('.cert') && !tls.cert) {
          const key = n.slice(0, -'.cert'.length) + '.key';
          if (!names.includes(key)) throw new InvalidParameterError(`missing key ${key} for client certificate ${n}. CA certificates must use the extension .crt`);
          tls.cert = await fsp.readFile(path.join(dir, n));
          tls.key = await fsp.readFile(path.join(dir, key));
        }
      }
    }
    return tls;
  }
}

/**
 * The registry domain a login or credential key names: `https://index.docker.io/v1/`,
 * `docker.io` and empty are Docker Hub; `https://host:port/...` is `host:port`.
 */
export function registryDomainOf(serverAddress: string): string {
  let s = serverAddress.trim();
  if (!s) return DOCKER_IO;
  s = s.replace(/^[a-z]+:\/\//i, '');
  s = s.split('/')[0];
  if (s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'docker.io' || s === 'registry.hub.docker.com') return DOCKER_IO;
  return s.toLowerCase();
}
