/**
 * The docker CLI's `config.json` (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`), shared with the real docker CLI: registry credentials live
 * under `auths` keyed by server (`https://index.docker.io/v1/` for Docker Hub, else
 * `host[:port]`), as base64 `user:password` in `auth`, or an `identitytoken`. Keys berth
 * does not know are kept as they are. Credential helpers (`credsStore`) are not run.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  /** Old configs (and docker < 1.11) may carry these separately. */
  username?: string;
  password?: string;
  email?: string;
}

export interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

/** An AuthConfig as sent in X-Registry-Auth and POST /auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), 'config.json');
}

export async function readConfig(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as ConfigFile;
    return typeof v === 'object' && v !== null ? v : {};
  } catch (e) {
    throw new Error(`loading config file: ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes the file as docker does: whole, via a temp file, mode 0600. */
export async function writeConfig(file: string, cfg: ConfigFile): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  await fsp.rename(tmp, file);
}

/** docker's ConvertToHostname: `https://host:port/v1/` → `host:port`. */
export function convertToHostname(s: string): string {
  let h = s;
  if (h.startsWith('http://')) h = h.slice(7);
  else if (h.startsWith('https://')) h = h.slice(8);
  return h.split('/')[0];
}

/** The key a registry's credentials are stored under. */
export function serverKey(server: string): string {
  if (!server || server === 'docker.io' || convertToHostname(server) === 'index.docker.io' || convertToHostname(server) === 'registry-1.docker.io') return DOCKER_HUB_KEY;
  return convertToHostname(server);
}

function decodeEntry(server: string, e: AuthEntry): AuthConfig {
  let username = e.username ?? '';
  let password = e.password ?? '';
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i >= 0) {
      username = plain.slice(0, i);
      password = plain.slice(i + 1);
    }
  }
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    serveraddress: server,
    ...(e.identitytoken ? { identitytoken: e.identitytoken } : {}),
    ...(e.registrytoken ? { registrytoken: e.registrytoken } : {}),
  };
}

/** docker's ResolveAuthConfig: the stored credentials for a registry domain, if any. */
export function resolveAuth(cfg: ConfigFile, domain: string): AuthConfig | undefined {
  const key = serverKey(domain);
  const auths = cfg.auths ?? {};
  if (auths[key]) return decodeEntry(key, auths[key]);
  for (const [k, e] of Object.entries(auths)) {
    if (serverKey(k) === key) return decodeEntry(key, e);
  }
  return undefined;
}

export function storeAuth(cfg: ConfigFile, server: string, a: AuthConfig): void {
  const key = serverKey(server);
  const entry: AuthEntry = { auth: Buffer.from(`${a.username ?? ''}:${a.identitytoken ? '' : (a.password ?? '')}`).toString('base64') };
  if (a.identitytoken) entry.identitytoken = a.identitytoken;
  cfg.auths = { ...(cfg.auths ?? {}), [key]: entry };
}

/** Removes every key naming the server; false if there was none. */
export function removeAuth(cfg: ConfigFile, server: string): boolean {
  const key = serverKey(server);
  let found = false;
  for (const k of Object.keys(cfg.auths ?? {})) {
    if (k === key || serverKey(k) === key) {
      delete cfg.auths![k];
      found = true;
    }
  }
  return found;
}

/** X-Registry-Auth: base64url of the AuthConfig JSON, as the docker CLI sends it. */
export function encodeAuthHeader(a: AuthConfig | undefined): string {
  return Buffer.from(JSON.stringify(a ?? {})).toString('base64url');
}
