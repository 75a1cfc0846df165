/**
 * Registry authentication (distribution's registry/client/auth): a ping tells which
 * scheme an endpoint wants; Basic sends the credentials with every request; Bearer
 * trades them (or nothing: anonymous) at the realm for a token scoped to the
 * repositories and actions at hand, cached until shortly before it expires.
 */
import { createHash } from 'node:crypto';
import { UnauthorizedError } from '../../lib/errors.js';
import { mergeScopes, scopeString, scopesCover, type Challenge, type Scope } from './challenge.js';
import { readBody, send, type AgentPool } from './http.js';
import type { Endpoint } from './endpoints.js';

/** What a client gave to authenticate (X-Registry-Auth, POST /auth, config.json). */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token from an earlier login (docker's `identitytoken`). */
  identityToken?: string;
  /** A bearer token to send as is (docker's `registrytoken`). */
  registryToken?: string;
}

export function hasCredentials(c: Credentials | undefined): boolean {
  return !!c && !!(c.username || c.password || c.identityToken || c.registryToken);
}

interface CachedToken {
  token: string;
  /** Epoch ms after which it is not used any more. */
  expires: number;
  scopes: Scope[];
}

export interface TokenResponse {
  token: string;
  refreshToken?: string;
  expiresIn: number;
}

const CLIENT_ID = 'docker';

/** Registry error bodies: `{"errors":[{"code":"UNAUTHORIZED","message":"...","detail":...}]}` or a token server's `{"details":"..."}`. */
export function authErrorText(status: number, body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[]; details?: string; error?: string; error_description?: string };
    if (Array.isArray(j.errors) && j.errors.length) {
      const e = j.errors[0];
      return `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.replace(/: $/, '');
    }
    const details = j.details ?? j.error_description ?? j.error;
    if (details) return `${status === 401 ? 'unauthorized' : status === 403 ? 'denied' : 'error'}: ${details}`;
  } catch {
    /* not JSON */
  }
  return status === 401 ? 'unauthorized: authentication required' : `unexpected status ${status}`;
}

/**
 * Tokens per realm+service+credentials, shared by all operations of the daemon, so
 * concurrent pulls of one repository ask the token server once.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken[]>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly pool: AgentPool) {}

  private static key(c: Challenge, creds: Credentials | undefined): string {
    const who = createHash('sha256').update(JSON.stringify([creds?.username ?? '', creds?.password ?? '', creds?.identityToken ?? ''])).digest('hex');
    return `${c.params.realm}|${c.params.service ?? ''}|${who}`;
  }

  /** A token granting `scopes`: a cached one, else a new one from the realm. */
  async get(ep: Endpoint, c: Challenge, creds: Credentials | undefined, scopes: Scope[], force = false): Promise<string> {
    if (creds?.registryToken) return creds.registryToken;
    const key = TokenCache.key(c, creds);
    const now = Date.now();
    const list = (this.tokens.get(key) ?? []).filter((t) => t.expires > now);
    this.tokens.set(key, list);
    if (!force) {
      const hit = list.find((t) => scopesCover(t.scopes, scopes));
      if (hit) return hit.token;
    }
    const merged = mergeScopes(scopes);
    const flightKey = `${key}|${merged.map(scopeString).join(' ')}`;
    let p = this.inflight.get(flightKey);
    if (!p) {
      p = fetchToken(this.pool, ep, c, creds, merged, false).then((r) => {
        // Renew a little early: the token must still be valid when the registry sees it.
        const t: CachedToken = { token: r.token, expires: Date.now() + Math.max(10, r.expiresIn - 10) * 1000, scopes: merged };
        const cur = this.tokens.get(key) ?? [];
        cur.push(t);
        this.tokens.set(key, cur.slice(-32));
        return t;
      });
      this.inflight.set(flightKey, p);
      p.finally(() => this.inflight.delete(flightKey)).catch(() => undefined);
    }
    return (await p).token;
  }
}

/**
 * Asks a token server for a token (docker's token and OAuth2 flows): a refresh token
 * is POSTed as an OAuth2 grant; otherwise a GET, with Basic credentials when there are
 * some. `offline` (login) asks for a refresh token.
 */
export async function fetchToken(
  pool: AgentPool,
  ep: Endpoint,
  c: Challenge,
  creds: Credentials | undefined,
  scopes: Scope[],
  offline: boolean,
): Promise<TokenResponse> {
  const realm = c.params.realm;
  if (!realm) throw new UnauthorizedError('unauthorized: the registry sent a bearer challenge without a realm');
  let realmUrl: URL;
  try {
    realmUrl = new URL(realm);
  } catch {
    throw new UnauthorizedError(`unauthorized: invalid token realm ${JSON.stringify(realm)}`);
  }
  const service = c.params.service ?? '';
  let res;
  if (creds?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', service, client_id: CLIENT_ID, refresh_token: creds.identityToken });
    if (scopes.length) form.set('scope', scopes.map(scopeString).join(' '));
    if (offline) form.set('access_type', 'offline');
    res = await send(pool, ep, {
      method: 'POST',
      url: realmUrl.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Buffer.from(form.toString()),
    });
  } else {
    const u = new URL(realmUrl);
    if (service) u.searchParams.set('service', service);
    for (const s of scopes) u.searchParams.append('scope', scopeString(s));
    const headers: Record<string, string> = {};
    if (creds?.username) {
      u.searchParams.set('account', creds.username);
      headers.Authorization = basicHeader(creds);
    }
    if (offline) {
      u.searchParams.set('offline_token', 'true');
      u.searchParams.set('client_id', CLIENT_ID);
    }
    res = await send(pool, ep, { method: 'GET', url: u.toString(), headers });
  }
  const body = await readBody(res, 1 << 20);
  if (res.statusCode !== 200) {
    throw new UnauthorizedError(authErrorText(res.statusCode ?? 0, body));
  }
  let j: { token?: string; access_token?: string; expires_in?: number; refresh_token?: string };
  try {
    j = JSON.parse(body.toString('utf8'));
  } catch {
    throw new UnauthorizedError('unauthorized: the token server answered with invalid JSON');
  }
  const token = j.token || j.access_token;
  if (!token) throw new UnauthorizedError('unauthorized: the token server answered without a token');
  return { token, refreshToken: j.refresh_token, expiresIn: typeof j.expires_in === 'number' && j.expires_in > 0 ? j.expires_in : 60 };
}

export function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
}
