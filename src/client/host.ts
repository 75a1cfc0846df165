import { InvalidHostError } from './api-error.js';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** Where the client connects: only unix sockets for now. */
export interface Endpoint {
  /** The host as the user gave it (for messages). */
  host: string;
  socketPath: string;
}

/**
 * Picks the daemon host the way the docker CLI does: the `-H/--host` flag, else
 * DOCKER_HOST, else BERTH_HOST, else the default socket.
 */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (env.BERTH_HOST) return env.BERTH_HOST;
  return DEFAULT_HOST;
}

export function parseHost(host: string): Endpoint {
  const h = host.trim();
  if (h.startsWith('unix://')) {
    const socketPath = h.slice('unix://'.length);
    if (!socketPath) throw new InvalidHostError(`invalid host: ${host}: empty socket path`);
    return { host: h, socketPath };
  }
  if (h.startsWith('/')) return { host: `unix://${h}`, socketPath: h };
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(h)?.[1]?.toLowerCase();
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    throw new InvalidHostError(`unsupported host ${host}: berth only connects to unix:// sockets for now`);
  }
  if (scheme) throw new InvalidHostError(`unable to parse docker host \`${host}\`: unsupported protocol '${scheme}'`);
  throw new InvalidHostError(`unable to parse docker host \`${host}\``);
}
