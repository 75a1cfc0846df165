/**
 * An OCI Distribution client (the registry HTTP API v2): ping and authentication,
 * manifests by tag or digest with content negotiation, blobs streamed in both
 * directions (GET with Range to resume, HEAD, monolithic and chunked uploads,
 * cross-repository mounts), manifest upload and tag listing. Endpoint choice (mirrors,
 * HTTPS → HTTP for insecure registries) is made here; what to transfer is the engine's.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import {
  BerthError,
  ForbiddenError,
  InvalidParameterError,
  NotFoundError,
  SystemError,
  UnauthorizedError,
  UnavailableError,
  errorMessage,
} from '../../lib/errors.js';
import { parseWwwAuthenticate, repositoryScope, type Challenge, type Scope } from './challenge.js';
import { basicHeader, fetchToken, hasCredentials, TokenCache, authErrorText, type Credentials } from './auth.js';
import { RegistryEndpoints, registryDomainOf, type Endpoint, type RegistryOptions } from './endpoints.js';
import { AgentPool, NetworkError, readBody, send, type HttpRequest } from './http.js';
import { MANIFEST_ACCEPT, sha256Digest } from './manifest.js';

export type { Credentials } from './auth.js';

/** One error of a registry's error body (distribution's errcode.Error). */
export interface RegistryErrorInfo {
  status: number;
  /** `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `BLOB_UNKNOWN`, `UNAUTHORIZED`, `DENIED`, ... ('' when the body had none). */
  code: string;
  message: string;
}

const registryInfo = new WeakMap<Error, RegistryErrorInfo>();

/** The registry's own error behind a failure, if the registry answered with one. */
export function registryErrorInfo(err: unknown): RegistryErrorInfo | undefined {
  return err instanceof Error ? registryInfo.get(err) : undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Turns a refusal into a classed error worded as distribution's errcode (`manifest unknown: manifest unknown`). */
export function registryError(status: number, body: Buffer): BerthError {
  let info: RegistryErrorInfo = { status, code: '', message: '' };
  let text = '';
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(j.errors) && j.errors.length) {
      const e = j.errors[0];
      info = { status, code: String(e.code ?? 'UNKNOWN'), message: String(e.message ?? '') };
      text = `${info.code.toLowerCase().replace(/_/g, ' ')}: ${info.message}`;
    }
  } catch {
    /* not JSON */
  }
  if (!text) {
    if (status === 401) {
      info = { status, code: 'UNAUTHORIZED', message: 'authentication required' };
      text = 'unauthorized: authentication required';
    } else if (status === 404) {
      info = { status, code: 'NOT_FOUND', message: 'not found' };
      text = `received unexpected HTTP status: 404 Not Found`;
    } else text = `received unexpected HTTP status: ${status} ${STATUS_TEXT[status] ?? ''}`.trim();
  }
  let err: BerthError;
  if (status === 401) err = new UnauthorizedError(text);
  else if (status === 403 || info.code === 'DENIED') err = new ForbiddenError(text);
  else if (status === 404) err = new NotFoundError(text);
  else if (status === 400 || status === 405 || status === 413 || status === 416) err = new InvalidParameterError(text);
  else if (status >= 500 || status === 429) err = new UnavailableError(text);
  else err = new SystemError(text);
  registryInfo.set(err, info);
  return err;
}

async function expectStatus(res: IncomingMessage, ok: number[]): Promise<IncomingMessage> {
  if (ok.includes(res.statusCode ?? 0)) return res;
  const body = res.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
  res.resume();
  throw registryError(res.statusCode ?? 0, body);
}

interface PingResult {
  challenges: Challenge[];
  at: number;
}

const PING_TTL_MS = 60_000;

export interface RepositoryOptions {
  creds?: Credentials;
  /** Push needs `pull,push` on the repository and never goes to a mirror. */
  push?: boolean;
}

/**
 * The daemon's registry client: endpoints and TLS per registry, pooled connections,
 * cached pings and tokens. `repository()` opens one repository for a pull or push.
 */
export class RegistryClient {
  readonly endpoints: RegistryEndpoints;
  readonly pool = new AgentPool();
  private readonly tokens: TokenCache;
  private readonly pings = new Map<string, PingResult>();

  constructor(options: RegistryOptions) {
    this.endpoints = new RegistryEndpoints(options);
    this.tokens = new TokenCache(this.pool);
  }

  close(): void {
    this.pool.destroy();
  }

  async repository(domain: string, name: string, opts: RepositoryOptions = {}): Promise<Repository> {
    const eps = await this.endpoints.lookup(domain, opts.push ? 'push' : 'pull');
    return new Repository(this, domain, name, eps, opts.creds, !!opts.push);
  }

  /** GET /v2/ without credentials: which challenges the endpoint sends (cached briefly). */
  async ping(ep: Endpoint, fresh = false): Promise<Challenge[]> {
    const cached = this.pings.get(ep.url);
    if (!fresh && cached && Date.now() - cached.at < PING_TTL_MS) return cached.challenges;
    const url = `${ep.url}/v2/`;
    const res = await send(this.pool, ep, { method: 'GET', url });
    const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
    let challenges: Challenge[] = [];
    if (res.statusCode === 401) {
      challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
      if (challenges.length === 0) challenges = [{ scheme: 'basic', params: {} }];
    } else if ((res.statusCode ?? 0) >= 300) {
      const e = registryError(res.statusCode ?? 0, body);
      throw new (e.constructor as typeof BerthError)(`Get "${url}": ${e.message}`, { cause: e });
    }
    this.pings.set(ep.url, { challenges, at: Date.now() });
    return challenges;
  }

  /** The Authorization header for a request to `ep` with `scopes` ('' for none). */
  async authorization(ep: Endpoint, creds: Credentials | undefined, scopes: Scope[], force = false, challenge?: Challenge): Promise<string> {
    const challenges = challenge ? [challenge] : await this.ping(ep);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.tokens.get(ep, bearer, creds, scopes, force)}`;
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!hasCredentials(creds) || !creds!.username) throw new UnauthorizedError('no basic auth credentials');
      return basicHeader(creds!);
    }
    return '';
  }

  /**
   * POST /auth: checks credentials against a registry (dockerd's loginV2). Returns the
   * refresh token a token server may hand out (docker's IdentityToken), else ''.
   */
  async login(serverAddress: string, creds: Credentials): Promise<{ identityToken: string }> {
    const domain = registryDomainOf(serverAddress);
    const eps = await this.endpoints.lookup(domain, 'login');
    let first: unknown;
    for (const [i, ep] of eps.entries()) {
      try {
        return await this.loginAt(ep, creds);
      } catch (err) {
        first ??= err;
        if (err instanceof NetworkError && i < eps.length - 1) continue;
        // Two failed connections: the first (HTTPS) names the registry best.
        throw err instanceof NetworkError && first instanceof NetworkError ? first : err;
      }
    }
    throw first;
  }

  private async loginAt(ep: Endpoint, creds: Credentials): Promise<{ identityToken: string }> {
    const url = `${ep.url}/v2/`;
    const challenges = await this.ping(ep, true);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    let authorization: string;
    let identityToken = '';
    if (bearer) {
      try {
        const t = await fetchToken(this.pool, ep, bearer, creds, [], true);
        authorization = `Bearer ${t.token}`;
        identityToken = t.refreshToken ?? '';
      } catch (err) {
        if (err instanceof NetworkError) throw err;
        throw new UnauthorizedError(`Get "${url}": ${errorMessage(err)}`, { cause: err });
      }
    } else if (challenges.length) {
      authorization = basicHeader(creds);
    } else return { identityToken: '' };
    const res = await send(this.pool, ep, { method: 'GET', url, headers: { Authorization: authorization } });
    res.resume();
    if (res.statusCode !== 200) {
      throw new UnauthorizedError(`login attempt to ${url} failed with status: ${res.statusCode} ${STATUS_TEXT[res.statusCode ?? 0] ?? ''}`.trim());
    }
    return { identityToken };
  }
}

export interface ManifestResponse {
  bytes: Buffer;
  contentType: string;
  /** Docker-Content-Digest, when the registry sent it. */
  headerDigest?: string;
}

export interface BlobResponse {
  stream: IncomingMessage;
  /** The response continues at the requested offset (206); otherwise it starts at 0. */
  resumed: boolean;
  /** Bytes in this response (Content-Length), if known. */
  length?: number;
}

/**
 * One repository on one registry, for one operation. The first request picks the
 * endpoint: mirrors in order, then the registry itself; for an insecure registry HTTPS,
 * then HTTP. Once something was fetched from an endpoint, the operation stays there.
 */
export class Repository {
  private idx = 0;
  private pinned = false;

  constructor(
    private readonly client: RegistryClient,
    readonly domain: string,
    readonly name: string,
    private readonly eps: Endpoint[],
    private readonly creds: Credentials | undefined,
    private readonly push: boolean,
  ) {}

  /** The endpoint in use (for messages). */
  get endpoint(): Endpoint {
    return this.eps[this.idx];
  }

  private get scopes(): Scope[] {
    return [repositoryScope(this.name, this.push ? ['pull', 'push'] : ['pull'])];
  }

  private url(ep: Endpoint, p: string): string {
    return `${ep.url}/v2/${this.name}/${p}`;
  }

  /** Runs `fn` on the first endpoint that works, then stays there. */
  private async withEndpoint<T>(fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    if (this.pinned) return fn(this.eps[this.idx]);
    let first: unknown;
    for (let i = this.idx; i < this.eps.length; i++) {
      const ep = this.eps[i];
      try {
        await this.client.ping(ep);
        const r = await fn(ep);
        this.idx = i;
        this.pinned = true;
        return r;
      } catch (err) {
        first ??= err;
        const last = i === this.eps.length - 1;
        if (!last && (ep.mirror || err instanceof NetworkError)) continue;
        // Two failed connections to one registry: the first (HTTPS) names it best.
        if (err instanceof NetworkError && first instanceof NetworkError && !ep.mirror && !this.eps[0].mirror) throw first;
        throw err;
      }
    }
    throw first;
  }

  /** A request with authorization; one retry after a 401 that names a new scope or token. */
  private async request(ep: Endpoint, req: HttpRequest, extraScopes: Scope[] = []): Promise<IncomingMessage> {
    const scopes = [...this.scopes, ...extraScopes];
    let authorization: string;
    try {
      authorization = await this.client.authorization(ep, this.creds, scopes);
    } catch (err) {
      if (err instanceof NetworkError) throw err;
      throw new (err instanceof BerthError ? (err.constructor as typeof BerthError) : UnauthorizedError)(
        `${goMethod(req.method)} "${req.url}": ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const withAuth = (a: string): HttpRequest => ({ ...req, headers: { ...(req.headers ?? {}), ...(a ? { Authorization: a } : {}) } });
    const res = await send(this.client.pool, ep, withAuth(authorization));
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    if (res.statusCode !== 401 || !replayable || !authorization.startsWith('Bearer ')) return res;
    const challenge = parseWwwAuthenticate(res.headers['www-authenticate']).find((c) => c.scheme === 'bearer');
    if (!challenge) return res;
    res.resume();
    const more: Scope[] = [];
    for (const s of (challenge.params.scope ?? '').split(' ').filter(Boolean)) {
      const parts = s.split(':');
      if (parts.length >= 3) more.push({ type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',') });
    }
    const again = await this.client.authorization(ep, this.creds, [...scopes, ...more], true, challenge);
    return send(this.client.pool, ep, withAuth(again));
  }

  /** GET a manifest by tag or digest, accepting every supported manifest type. */
  async getManifest(reference: string): Promise<ManifestResponse> {
    return this.withEndpoint(async (ep) => {
      const res = await expectStatus(
        await this.request(ep, { method: 'GET', url: this.url(ep, `manifests/${reference}`), headers: { Accept: MANIFEST_ACCEPT.join(', ') } }),
        [200],
      );
      const bytes = await readBody(res, 4 << 20);
      const d = res.headers['docker-content-digest'];
      return { bytes, contentType: String(res.headers['content-type'] ?? ''), headerDigest: typeof d === 'string' ? d : undefined };
    });
  }

  /** GET a blob from `offset` (a Range request when > 0). The caller consumes `stream`. */
  async getBlob(digest: string, offset = 0): Promise<BlobResponse> {
    return this.withEndpoint(async (ep) => {
      const res = await expectStatus(
        await this.request(ep, {
          method: 'GET',
          url: this.url(ep, `blobs/${digest}`),
          headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
          redirects: 5,
        }),
        [200, 206],
      );
      const len = res.headers['content-length'];
      return { stream: res, resumed: res.statusCode === 206, length: len !== undefined ? Number(len) : undefined };
    });
  }

  /** A small blob (an image config), read whole and checked against its digest. */
  async getSmallBlob(digest: string, limit = 8 << 20): Promise<Buffer> {
    const { stream } = await this.getBlob(digest);
    const bytes = await readBody(stream, limit);
    if (sha256Digest(bytes) !== digest) throw new InvalidParameterError(`blob ${digest} does not match its digest: got ${sha256Digest(bytes)}`);
    return bytes;
  }

  /** HEAD a blob: its size if the repository has it, else undefined. */
  async statBlob(digest: string): Promise<number | undefined> {
    return this.withEndpoint(async (ep) => {
      const res = await this.request(ep, { method: 'HEAD', url: this.url(ep, `blobs/${digest}`), redirects: 5 });
      res.resume();
      if (res.statusCode === 404) return undefined;
      await expectStatus(res, [200]);
      return Number(res.headers['content-length'] ?? 0);
    });
  }

  /**
   * Starts an upload (POST .../blobs/uploads/). With `mount`, asks the registry to link
   * the blob from another repository instead: `mounted` when it did (201).
   */
  async startUpload(mount?: { digest: string; from: string }): Promise<{ mounted: true } | { mounted: false; location: string }> {
    return this.withEndpoint(async (ep) => {
      let url = this.url(ep, 'blobs/uploads/');
      const extra: Scope[] = [];
      if (mount) {
        url += `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
        extra.push(repositoryScope(mount.from, ['pull']));
      }
      const res = await expectStatus(await this.request(ep, { method: 'POST', url }, extra), [201, 202]);
      res.resume();
      if (res.statusCode === 201) return { mounted: true };
      const loc = res.headers.location;
      if (!loc) throw new SystemError(`Post "${url}": the registry started an upload without a Location`);
      return { mounted: false, location: new URL(loc, ep.url).toString() };
    });
  }

  /** Monolithic upload: PUT the whole blob with its digest (size known). */
  async putBlob(location: string, digest: string, size: number, body: Readable | Buffer): Promise<void> {
    const ep = this.eps[this.idx];
    const res = await expectStatus(
      await this.request(ep, {
        method: 'PUT',
        url: withDigest(location, digest),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
        body,
      }),
      [201, 204],
    );
    res.resume();
  }

  /** Chunked upload: PATCH a stream of unknown length; returns the next location. */
  async patchBlob(location: string, body: Readable): Promise<string> {
    const ep = this.eps[this.idx];
    const res = await expectStatus(
      await this.request(ep, { method: 'PATCH', url: location, headers: { 'Content-Type': 'application/octet-stream' }, body }),
      [202, 204],
    );
    res.resume();
    const loc = res.headers.location;
    return loc ? new URL(loc, location).toString() : location;
  }

  /** Ends a chunked upload: PUT ?digest= with no body. */
  async commitUpload(location: string, digest: string): Promise<void> {
    const ep = this.eps[this.idx];
    const res = await expectStatus(await this.request(ep, { method: 'PUT', url: withDigest(location, digest) }), [201, 204]);
    res.resume();
  }

  /** Best effort: abandons an upload session. */
  async cancelUpload(location: string): Promise<void> {
    try {
      const res = await this.request(this.eps[this.idx], { method: 'DELETE', url: location });
      res.resume();
    } catch {
      /* the registry expires it */
    }
  }

  /** PUT a manifest under a tag or digest; returns its digest. */
  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    return this.withEndpoint(async (ep) => {
      const res = await expectStatus(
        await this.request(ep, { method: 'PUT', url: this.url(ep, `manifests/${reference}`), headers: { 'Content-Type': mediaType }, body: bytes }),
        [201, 202, 204],
      );
      res.resume();
      const d = res.headers['docker-content-digest'];
      return typeof d === 'string' && d ? d : sha256Digest(bytes);
    });
  }

  /** Every tag of the repository (following `Link` pagination). */
  async listTags(): Promise<string[]> {
    return this.withEndpoint(async (ep) => {
      const tags: string[] = [];
      let url: string | undefined = this.url(ep, 'tags/list');
      for (let pages = 0; url && pages < 1000; pages++) {
        const res = await expectStatus(await this.request(ep, { method: 'GET', url }), [200]);
        const body = JSON.parse((await readBody(res, 16 << 20)).toString('utf8')) as { tags?: string[] | null };
        tags.push(...(body.tags ?? []));
        const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
        url = link ? new URL(link[1], ep.url).toString() : undefined;
      }
      return tags;
    });
  }
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

function goMethod(m: string): string {
  return m.charAt(0) + m.slice(1).toLowerCase();
}

export { authErrorText };
