import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { PassThrough, Readable } from 'node:stream';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidParameterError, NotFoundError, errorMessage } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { httpStatus } from './http-status.js';
import type { RequestContext, Router } from './router.js';

import { API_VERSION, MIN_API_VERSION } from '../lib/api-version.js';

export { API_VERSION, MIN_API_VERSION };

const versionPrefix = /^\/v(\d+\.\d+)(\/.*)$/;

export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * The HTTP edge: version prefixes, routing, JSON bodies, hijacked streams and the
 * error body `{"message": ...}`. A handler's failure becomes a response here and is
 * logged here, once; nothing a request does can crash the daemon.
 */
export interface TlsFiles {
  ca?: string;
  cert: string;
  key: string;
  /** Require and verify client certificates against `ca` (dockerd's --tlsverify). */
  verify: boolean;
}

export class ApiServer {
  private readonly servers: http.Server[] = [];
  private sockets = new Set<Duplex>();

  constructor(
    private readonly router: Router,
    private readonly headers: () => Record<string, string>,
  ) {}

  /** One HTTP(S) server per listening address, all dispatching to the same routes. */
  private makeServer(tls?: { ca?: Buffer; cert: Buffer; key: Buffer; verify: boolean }): http.Server {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void this.dispatch(req, res, undefined, undefined);
    };
    const server: http.Server = tls
      ? https.createServer({ keepAlive: true, cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.verify, rejectUnauthorized: tls.verify }, onRequest)
      : http.createServer({ keepAlive: true }, onRequest);
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.dispatch(req, undefined, socket, head);
    });
    server.on(tls ? 'secureConnection' : 'connection', (s: Duplex) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    // Long streams (logs -f, events, attach) must not be cut by Node's timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 60_000;
    this.servers.push(server);
    return server;
  }

  async listenUnix(socketPath: string, mode = 0o660): Promise<void> {
    await fsp.mkdir(path.dirname(socketPath), { recursive: true });
    await fsp.rm(socketPath, { force: true });
    await listen(this.makeServer(), (s, cb) => s.listen(socketPath, cb));
    await fsp.chmod(socketPath, mode);
  }

  /** TCP, with TLS when `tls` is given; the daemon refuses plain TCP unless told to (see daemon.ts). */
  async listenTcp(host: string, port: number, tls?: TlsFiles): Promise<number> {
    const files = tls
      ? {
          cert: await fsp.readFile(tls.cert),
          key: await fsp.readFile(tls.key),
          ca: tls.ca ? await fsp.readFile(tls.ca) : undefined,
          verify: tls.verify,
        }
      : undefined;
    const server = this.makeServer(files);
    await listen(server, (s, cb) => s.listen(port, host, cb));
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async dispatch(
    req: http.IncomingMessage,
    res: http.ServerResponse | undefined,
    upgraded: Duplex | undefined,
    head: Buffer | undefined,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berth');
    let pathname = url.pathname;
    let apiVersion = API_VERSION;
    const m = versionPrefix.exec(pathname);
    if (m) {
      apiVersion = m[1];
      pathname = m[2];
    }
    const ctx = new Context(req, res, upgraded, head, url.searchParams, apiVersion, this.headers());
    try {
      if (m && compareVersions(apiVersion, API_VERSION) > 0) {
        throw new InvalidParameterError(`client version ${apiVersion} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      if (m && compareVersions(apiVersion, MIN_API_VERSION) < 0) {
        throw new InvalidParameterError(`client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      const found = this.router.match(req.method ?? 'GET', pathname);
      if (found === undefined) throw new NotFoundError(`page not found`);
      if (found === 'method') throw new NotFoundError(`page not found`);
      ctx.params = found.params;
      log.debug('request', { method: req.method, path: pathname, op: found.route.operation });
      await found.route.handler(ctx);
    } catch (err) {
      ctx.fail(err);
    }
  }
}

class Context implements RequestContext {
  params: Record<string, string> = {};
  private hijacked: Duplex | undefined;

  constructor(
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse | undefined,
    private readonly upgraded: Duplex | undefined,
    private readonly head: Buffer | undefined,
    readonly query: URLSearchParams,
    readonly apiVersion: string,
    private readonly commonHeaders: Record<string, string>,
  ) {
    if (res) for (const [k, v] of Object.entries(commonHeaders)) res.setHeader(k, v);
  }

  bodyStream(): NodeJS.ReadableStream {
    if (!this.upgraded) return this.req;
    // After an upgrade Node stops parsing: the body (if any) is `head` plus what follows
    // on the socket, up to Content-Length.
    let remaining = Number(this.req.headers['content-length'] ?? 0);
    const out = new PassThrough();
    const sock = this.upgraded;
    const take = (chunk: Buffer): void => {
      if (remaining <= 0) return;
      const part = chunk.subarray(0, remaining);
      remaining -= part.length;
      out.write(part);
      if (part.length < chunk.length) sock.unshift(chunk.subarray(part.length));
      if (remaining <= 0) {
        sock.off('data', onData);
        sock.pause();
        out.end();
      }
    };
    const onData = (c: Buffer): void => take(c);
    if (remaining <= 0) out.end();
    else {
      if (this.head && this.head.length) take(this.head);
      if (remaining > 0) sock.on('data', onData);
    }
    return out;
  }

  async json<T>(): Promise<T | undefined> {
    const chunks: Buffer[] = [];
    for await (const c of this.bodyStream() as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new InvalidParameterError(`invalid JSON: ${errorMessage(err)}`);
    }
  }

  send(status: number, body?: unknown): void {
    const res = this.requireRes();
    if (body === undefined || status === 204 || status === 304) {
      res.writeHead(status);
      res.end();
      return;
    }
    const data = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
    res.writeHead(status, {
      'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Content-Length': Buffer.byteLength(data),
    });
    res.end(this.req.method === 'HEAD' ? undefined : data);
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}): http.ServerResponse {
    const res = this.requireRes();
    res.writeHead(status, { 'Content-Type': contentType, ...headers });
    res.flushHeaders();
    return res;
  }

  hijack(contentType = 'application/vnd.docker.raw-stream'): Duplex {
    if (this.hijacked) return this.hijacked;
    let sock: Duplex;
    if (this.upgraded) {
      sock = this.upgraded;
      sock.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
          headerLines(this.commonHeaders) +
          '\r\n',
      );
    } else {
      const res = this.requireRes();
      sock = res.socket as Duplex;
      // Take the socket away from the HTTP machinery: from here on it is a raw stream.
      res.detachSocket(res.socket!);
      sock.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n` + headerLines(this.commonHeaders) + '\r\n');
      this.req.socket.removeAllListeners('timeout');
    }
    // Left paused: input the client sends early (stdin piped into `docker run -i`) waits
    // until the session joins the process and resumes the socket.
    sock.pause();
    if ('setTimeout' in sock && typeof (sock as { setTimeout?: unknown }).setTimeout === 'function') {
      (sock as unknown as { setTimeout(n: number): void }).setTimeout(0);
    }
    this.hijacked = sock;
    return sock;
  }

  fail(err: unknown): void {
    const status = httpStatus(err);
    const message = errorMessage(err);
    if (status >= 500) log.error('handler failed', { path: this.req.url, err: message, stack: (err as Error)?.stack ?? '' });
    else log.debug('request refused', { path: this.req.url, status, err: message });
    if (this.hijacked) {
      // The client already has a raw stream: say it there, then close.
      try {
        this.hijacked.end(`Error: ${message}\n`);
      } catch {
        this.hijacked.destroy();
      }
      return;
    }
    if (this.upgraded) {
      const body = JSON.stringify({ message }) + '\n';
      this.upgraded.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const res = this.res!;
    if (res.headersSent) {
      // Mid-stream failure: JSON-message streams carry the error inline, as dockerd does.
      if (!res.writableEnded) {
        const ct = String(res.getHeader('Content-Type') ?? '');
        if (ct.includes('json')) res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
        else res.destroy();
      }
      return;
    }
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    const body = JSON.stringify({ message }) + '\n';
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(this.req.method === 'HEAD' ? undefined : body);
  }

  private requireRes(): http.ServerResponse {
    if (!this.res) throw new InvalidParameterError('this endpoint does not support connection upgrade');
    return this.res;
  }
}

function headerLines(h: Record<string, string>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

/** Wraps a JSON-lines progress stream (pull, load, build) for handlers. */
export function jsonLines(res: http.ServerResponse): (msg: unknown) => void {
  return (msg) => {
    if (!res.writableEnded) res.write(JSON.stringify(msg) + '\r\n');
  };
}

export { Readable };

function listen(server: http.Server, start: (s: http.Server, cb: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    start(server, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
