/**
 * The registry client's HTTP: one keep-alive agent per endpoint (its TLS settings), Go's
 * wording for network failures (clients print them as dockerd's), redirects for blob
 * downloads. Bodies are streamed both ways; nothing here buffers a blob.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { Readable } from 'node:stream';
import { BerthError, UnavailableError, errorMessage } from '../../lib/errors.js';
import type { Endpoint } from './endpoints.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string | number>;
  /** A body: bytes, or a stream (sent chunked unless Content-Length is given). */
  body?: Buffer | Readable;
  /** Follow up to this many redirects (GET/HEAD of blobs may be sent to storage). */
  redirects?: number;
  signal?: AbortSignal;
}

/** A request that failed below HTTP: the connection, TLS, or the socket mid-body. */
export class NetworkError extends UnavailableError {
  errno: string | undefined;
  /** TLS or protocol trouble: an insecure registry's HTTPS attempt gives way to HTTP. */
  tlsProblem = false;
}

const GO_METHOD: Record<string, string> = { GET: 'Get', HEAD: 'Head', PUT: 'Put', POST: 'Post', PATCH: 'Patch', DELETE: 'Delete' };

/** `Get "https://h:p/v2/": dial tcp h:p: connect: connection refused`, as Go's net/http says it. */
export function describeNetworkError(method: string, url: string, err: unknown): NetworkError {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const u = new URL(url);
  const hostPort = `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  const code = e?.code;
  let detail: string;
  let tlsProblem = false;
  switch (code) {
    case 'ECONNREFUSED':
      detail = `dial tcp ${hostPort}: connect: connection refused`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      detail = `dial tcp: lookup ${u.hostname}: no such host`;
      break;
    case 'ETIMEDOUT':
      detail = `dial tcp ${hostPort}: i/o timeout`;
      break;
    case 'EHOSTUNREACH':
      detail = `dial tcp ${hostPort}: connect: no route to host`;
      break;
    case 'ENETUNREACH':
      detail = `dial tcp ${hostPort}: connect: network is unreachable`;
      break;
    case 'ECONNRESET':
      detail = `read tcp ${hostPort}: read: connection reset by peer`;
      break;
    case 'UND_ERR_SOCKET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      detail = 'unexpected EOF';
      break;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      detail = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
      tlsProblem = true;
      break;
    case 'CERT_HAS_EXPIRED':
      detail = 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
      tlsProblem = true;
      break;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      detail = `tls: failed to verify certificate: x509: certificate is not valid for ${u.hostname}`;
      tlsProblem = true;
      break;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      detail = /wrong version number|packet length too long|http request/i.test(errorMessage(err))
        ? 'http: server gave HTTP response to HTTPS client'
        : `tls: ${errorMessage(err)}`;
      tlsProblem = true;
      break;
    default:
      detail = errorMessage(err) || 'unexpected EOF';
      if (/ssl|tls|certificate/i.test(detail)) tlsProblem = true;
  }
  const out = new NetworkError(`${GO_METHOD[method] ?? method} "${url}": ${detail}`, { cause: err });
  out.errno = code;
  out.tlsProblem = tlsProblem;
  return out;
}

/** Keep-alive agents per endpoint; a daemon-wide pool so connections are reused across pulls. */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  agentFor(ep: Endpoint, url: string): http.Agent {
    const isHttps = url.startsWith('https:');
    const key = `${isHttps ? 's' : 'p'}|${ep.skipVerify}|${new URL(url).host}`;
    let a = this.agents.get(key);
    if (!a) {
      if (isHttps) {
        a = new https.Agent({
          keepAlive: true,
          maxSockets: 16,
          rejectUnauthorized: !ep.skipVerify,
          ...(ep.tls.ca.length ? { ca: [...tls.rootCertificates, ...ep.tls.ca.map((c) => c.toString())] } : {}),
          ...(ep.tls.cert ? { cert: ep.tls.cert, key: ep.tls.key } : {}),
        });
      } else a = new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.agents.set(key, a);
    }
    return a;
  }

  destroy(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/**
 * Sends one request and resolves with the response once its headers arrived. Network
 * failures become NetworkErrors with Go's wording. Redirects are followed for GET/HEAD;
 * credentials are not sent to another host.
 */
export async function send(pool: AgentPool, ep: Endpoint, req: HttpRequest): Promise<http.IncomingMessage> {
  let url = req.url;
  let headers = { 'User-Agent': 'berth/0.1 (linux)', ...(req.headers ?? {}) } as Record<string, string | number>;
  let redirects = req.redirects ?? 0;
  for (;;) {
    const res = await once(pool, ep, req.method, url, headers, req.body, req.signal);
    const loc = res.headers.location;
    if (redirects > 0 && loc && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && (req.method === 'GET' || req.method === 'HEAD')) {
      res.resume();
      const next = new URL(loc, url);
      if (next.host !== new URL(url).host) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next.toString();
      redirects--;
      continue;
    }
    return res;
  }
}

function once(
  pool: AgentPool,
  ep: Endpoint,
  method: string,
  url: string,
  headers: Record<string, string | number>,
  body: Buffer | Readable | undefined,
  signal: AbortSignal | undefined,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const h = { ...headers };
    if (Buffer.isBuffer(body)) h['Content-Length'] = body.length;
    else if (body === undefined && (method === 'PUT' || method === 'POST' || method === 'PATCH')) h['Content-Length'] = 0;
    const r = mod.request(url, { method, headers: h, agent: pool.agentFor(ep, url), signal });
    let settled = false;
    r.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(describeNetworkError(method, url, err));
    });
    r.on('response', (res) => {
      settled = true;
      resolve(res);
    });
    if (body === undefined || Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (err) => r.destroy(err));
      body.pipe(r);
    }
  });
}

/** Reads a whole (small) response body, refusing more than `limit` bytes. */
export async function readBody(res: http.IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new BerthError(`response body from ${res.url ?? 'registry'} is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
