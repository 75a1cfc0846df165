/**
 * Docker's registry credentials on the wire: the `X-Registry-Auth` header of pull and
 * push (base64url JSON of an AuthConfig) and the body of `POST /auth`.
 */
import { InvalidParameterError } from '../lib/errors.js';
import type { Credentials } from '../drivers/registry/registry-client.js';

/** Docker's AuthConfig (api/types/registry). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("user:password"), as config.json keeps it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** AuthConfig → what the registry client uses; `auth` fills in a missing username/password. */
export function credentialsOf(a: AuthConfig): Credentials {
  let username = a.username ?? '';
  let password = a.password ?? '';
  if (!username && !password && a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      username = plain.slice(0, i);
      password = plain.slice(i + 1);
    }
  }
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(a.identitytoken ? { identityToken: a.identitytoken } : {}),
    ...(a.registrytoken ? { registryToken: a.registrytoken } : {}),
  };
}

/**
 * Decodes `X-Registry-Auth` (registry.DecodeAuthConfig): base64url (padded or not;
 * standard base64 is accepted too) of a JSON AuthConfig. Absent or empty: anonymous.
 */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig | undefined {
  const h = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!h) return undefined;
  const json = Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new InvalidParameterError('invalid X-Registry-Auth header: not base64url-encoded JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidParameterError('invalid X-Registry-Auth header: not a JSON object');
  return v as AuthConfig;
}

/** Encodes an AuthConfig the way the docker CLI does (base64url of its JSON). */
export function encodeRegistryAuth(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}
