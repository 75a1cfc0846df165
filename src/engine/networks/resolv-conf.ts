/** /etc/resolv.conf for a container, pure (dockerd's libnetwork/resolvconf rules). */

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...vals] = line.split(/\s+/);
    if (key === 'nameserver' && vals[0]) out.nameservers.push(vals[0]);
    else if (key === 'search' || key === 'domain') out.search = vals;
    else if (key === 'options') out.options.push(...vals);
  }
  return out;
}

export function formatResolvConf(r: ResolvConf): string {
  const lines = r.nameservers.map((n) => `nameserver ${n}`);
  if (r.search.length) lines.push(`search ${r.search.join(' ')}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

const FALLBACK = ['8.8.8.8', '8.8.4.4'];

function isLocalhost(ns: string): boolean {
  return ns.startsWith('127.') || ns === '::1';
}

export interface ResolvInput {
  host: string;
  dns?: string[];
  search?: string[];
  options?: string[];
  /** The embedded DNS server's address (user-defined networks). */
  embedded?: string;
  /** The container shares the host's namespace: localhost resolvers stay usable. */
  hostNetwork?: boolean;
}

/**
 * The container's resolv.conf: the embedded server when there is one (it forwards to
 * --dns or the host's resolvers itself), else --dns or the host's resolvers less those on
 * localhost, which a container's own namespace cannot reach (Google's as a last resort).
 */
export function containerResolvConf(i: ResolvInput): string {
  const host = parseResolvConf(i.host);
  let nameservers: string[];
  if (i.embedded) nameservers = [i.embedded];
  else if (i.dns?.length) nameservers = i.dns;
  else if (i.hostNetwork) nameservers = host.nameservers;
  else {
    nameservers = host.nameservers.filter((n) => !isLocalhost(n) && !n.includes(':'));
    if (nameservers.length === 0) nameservers = FALLBACK;
  }
  return formatResolvConf({
    nameservers,
    search: i.search?.length ? i.search : host.search,
    options: i.options?.length ? i.options : host.options,
  });
}

/** Where the embedded server forwards names it does not know. */
export function upstreamServers(host: string, dns?: string[]): string[] {
  if (dns?.length) return dns;
  return parseResolvConf(host).nameservers.filter((n) => !n.includes(':'));
}
