import * as http from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, DaemonUnreachableError, apiErrorFromBody } from './api-error.js';
import { parseHost, type Endpoint } from './host.js';
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  DiskUsage,
  ImageDeleteItem,
  ImageHistoryItem,
  ImageSummary,
  PruneReport,
  SystemInfo,
  SystemVersion,
} from './types.js';

export const CLIENT_API_VERSION = '1.45';

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  body?: unknown;
  /** A raw body (tar archives); sent with `contentType`. */
  stream?: NodeJS.ReadableStream;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A hijacked connection: the raw socket after `101 UPGRADED` (attach, exec start). */
export interface HijackedConnection {
  socket: Socket;
  /** `application/vnd.docker.raw-stream` (TTY) or `application/vnd.docker.multiplexed-stream`. */
  contentType: string;
  /** Half-closes the connection: tells the daemon stdin is done, keeps reading output. */
  closeWrite(): void;
  close(): void;
}

/** Filters as the API takes them: `{"status": ["running"]}`, sent as JSON. */
export type Filters = Record<string, string[]>;

/** Turns repeated `-f key=value` flags into the API's filters map. */
export function parseFilterArgs(args: string[]): Filters {
  const out: Filters = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = a.slice(0, i).trim().toLowerCase();
    const v = a.slice(i + 1).trim();
    (out[k] ??= []).push(v);
  }
  return out;
}

function filtersQuery(f: Filters | undefined): string | undefined {
  if (!f || Object.keys(f).length === 0) return undefined;
  // dockerd accepts both forms; the map-of-bools form is what the Go client sends.
  const legacy: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(f)) legacy[k] = Object.fromEntries(vs.map((v) => [v, true]));
  return JSON.stringify(legacy);
}

/**
 * A Docker Engine API client over a unix socket, dependency-free (node:http). Every
 * method returns parsed JSON or a stream; a refusal (status ≥ 400) becomes an ApiError
 * with the daemon's message; a socket that cannot be reached becomes a
 * DaemonUnreachableError. Requests share keep-alive connections (one agent per
 * client): an idle pooled socket is unref'd, so it never keeps the process alive.
 */
export class DockerClient {
  readonly endpoint: Endpoint;
  readonly apiVersion: string;
  /** Connections kept for the next request (a command makes several in a row). */
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(opts: { host: string; version?: string }) {
    this.endpoint = parseHost(opts.host);
    this.apiVersion = opts.version ?? CLIENT_API_VERSION;
  }

  /** Closes every connection, idle or not (streams in progress end). */
  close(): void {
    this.agent.destroy();
  }

  get host(): string {
    return this.endpoint.host;
  }

  private url(path: string, query?: Record<string, QueryValue>, versioned = true): string {
    let p = versioned ? `/v${this.apiVersion}${path}` : path;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null) continue;
        q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
      }
      const s = q.toString();
      if (s) p += `?${s}`;
    }
    return p;
  }

  private connectError(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'EACCES') {
      return new DaemonUnreachableError(this.host, { cause: err });
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK') {
      return new DaemonUnreachableError(this.host, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private start(method: string, path: string, opts: RequestOptions, versioned = true): http.ClientRequest {
    const headers: Record<string, string | number> = { 'User-Agent': 'berth-cli', ...(opts.headers ?? {}) };
    let data: Buffer | undefined;
    if (opts.body !== undefined) {
      data = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
    } else if (opts.stream) {
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    }
    const options: http.RequestOptions & { servername: string } = {
      socketPath: this.endpoint.socketPath,
      method,
      path: this.url(path, opts.query, versioned),
      headers,
      agent: this.agent,
      // No TLS on a unix socket: an empty name spares the agent working one out (its
      // IP check compiles large regular expressions, a few ms of every command).
      servername: '',
    };
    const req = http.request(options);
    if (data) req.end(data);
    else if (opts.stream) opts.stream.pipe(req);
    else req.end();
    return req;
  }

  /** Sends a request; resolves with the response once its headers arrive (status < 400). */
  request(method: string, path: string, opts: RequestOptions = {}, versioned = true): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, opts, versioned);
      req.on('error', (err) => reject(this.connectError(err)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 400) {
          resolve(res);
          return;
        }
        readAll(res).then(
          (body) => reject(apiErrorFromBody(status, body.toString('utf8'))),
          (err) => reject(err),
        );
      });
    });
  }

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = (await readAll(res)).toString('utf8').trim();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A request whose body does not matter (204, 304). */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, opts);
    await readAll(res);
    return res.statusCode ?? 0;
  }

  /**
   * Hijacks a connection the way the docker CLI does: `Connection: Upgrade`,
   * `Upgrade: tcp`, then the socket carries raw bytes both ways after `101 UPGRADED`.
   */
  hijack(method: string, path: string, opts: RequestOptions = {}): Promise<HijackedConnection> {
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, {
        ...opts,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp', ...(opts.body === undefined ? { 'Content-Type': 'text/plain' } : {}), ...(opts.headers ?? {}) },
      });
      req.on('error', (err) => reject(this.connectError(err)));
      req.on('upgrade', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        socket.setNoDelay?.(true);
        socket.setTimeout(0);
        resolve({
          socket,
          contentType: String(res.headers['content-type'] ?? ''),
          closeWrite: () => {
            if (!socket.writableEnded) socket.end();
          },
          close: () => socket.destroy(),
        });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        readAll(res).then(
          (body) =>
            reject(
              status >= 400
                ? apiErrorFromBody(status, body.toString('utf8'))
                : new Error(`the daemon did not upgrade the connection (status ${status})`),
            ),
          (err) => reject(err),
        );
      });
    });
  }

  // --- system ---------------------------------------------------------------

  async ping(): Promise<{ apiVersion?: string; osType?: string }> {
    const res = await this.request('GET', '/_ping', {}, false);
    await readAll(res);
    return { apiVersion: res.headers['api-version'] as string | undefined, osType: res.headers['ostype'] as string | undefined };
  }

  version(): Promise<SystemVersion> {
    return this.json('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.json('GET', '/info');
  }

  // --- containers -------------------------------------------------------------

  containerCreate(body: ContainerCreateBody, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { body, query: { name: opts.name || undefined, platform: opts.platform || undefined } });
  }

  containerList(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', {
      query: {
        all: opts.all || undefined,
        limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
        size: opts.size || undefined,
        filters: filtersQuery(opts.filters),
      },
    });
  }

  containerInspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.json('GET', `/containers/${enc(id)}/json`, { query: { size: opts.size || undefined } });
  }

  /** Resolves true when started, false when it was already running (304). */
  async containerStart(id: string, opts: { detachKeys?: string } = {}): Promise<boolean> {
    return (await this.send('POST', `/containers/${enc(id)}/start`, { query: { detachKeys: opts.detachKeys || undefined } })) !== 304;
  }

  async containerStop(id: string, opts: { signal?: string; timeout?: number } = {}): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/stop`, { query: { signal: opts.signal || undefined, t: opts.timeout } });
  }

  async containerRestart(id: string, opts: { signal?: string; timeout?: number } = {}): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/restart`, { query: { signal: opts.signal || undefined, t: opts.timeout } });
  }

  async containerKill(id: string, signal?: string): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/kill`, { query: { signal: signal || undefined } });
  }

  async containerRemove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.send('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined, v: opts.volumes || undefined, link: opts.link || undefined } });
  }

  async containerRename(id: string, name: string): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/rename`, { query: { name } });
  }

  async containerPause(id: string): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/pause`);
  }

  async containerUnpause(id: string): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/unpause`);
  }

  containerTop(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.json('GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs || undefined } });
  }

  async containerResize(id: string, height: number, width: number): Promise<void> {
    await this.send('POST', `/containers/${enc(id)}/resize`, { query: { h: height, w: width } });
  }

  /**
   * Starts waiting for a container (POST /containers/{id}/wait). `registered` resolves
   * once the daemon answered the headers (the wait is in place, so a start after it
   * cannot be missed); `result` resolves with the exit status.
   */
  containerWait(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): { registered: Promise<void>; result: Promise<ContainerWaitResponse> } {
    const res = this.request('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
    const result = res.then(async (r) => {
      const text = (await readAll(r)).toString('utf8').trim();
      if (!text) throw new Error('the daemon closed the wait request without an answer');
      const parsed = JSON.parse(text.split('\n').pop()!) as ContainerWaitResponse & { message?: string };
      return parsed;
    });
    return { registered: res.then(() => undefined), result };
  }

  /** GET /containers/{id}/logs: raw or multiplexed depending on the container's TTY. */
  containerLogs(
    id: string,
    opts: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string; details?: boolean },
  ): Promise<http.IncomingMessage> {
    return this.request('GET', `/containers/${enc(id)}/logs`, {
      query: {
        follow: opts.follow || undefined,
        stdout: opts.stdout ?? true,
        stderr: opts.stderr ?? true,
        since: opts.since || undefined,
        until: opts.until || undefined,
        timestamps: opts.timestamps || undefined,
        tail: opts.tail || undefined,
        details: opts.details || undefined,
      },
    });
  }

  containerAttach(
    id: string,
    opts: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; detachKeys?: string },
  ): Promise<HijackedConnection> {
    return this.hijack('POST', `/containers/${enc(id)}/attach`, {
      query: {
        stream: opts.stream ?? true,
        stdin: opts.stdin || undefined,
        stdout: opts.stdout || undefined,
        stderr: opts.stderr || undefined,
        logs: opts.logs || undefined,
        detachKeys: opts.detachKeys || undefined,
      },
    });
  }

  /** GET /containers/{id}/export: a tar stream. */
  containerExport(id: string): Promise<http.IncomingMessage> {
    return this.request('GET', `/containers/${enc(id)}/export`);
  }

  containerPrune(filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/containers/prune', { query: { filters: filtersQuery(filters) } });
  }

  // --- exec -----------------------------------------------------------------

  execCreate(id: string, body: Record<string, unknown>): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${enc(id)}/exec`, { body });
  }

  execStartAttached(execId: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<HijackedConnection> {
    return this.hijack('POST', `/exec/${enc(execId)}/start`, { body: { Detach: false, Tty: opts.tty, ConsoleSize: opts.consoleSize } });
  }

  async execStartDetached(execId: string, opts: { tty: boolean }): Promise<void> {
    await this.send('POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: opts.tty } });
  }

  async execResize(execId: string, height: number, width: number): Promise<void> {
    await this.send('POST', `/exec/${enc(execId)}/resize`, { query: { h: height, w: width } });
  }

  execInspect(execId: string): Promise<{ ExitCode: number | null; Running: boolean; Pid?: number; [k: string]: unknown }> {
    return this.json('GET', `/exec/${enc(execId)}/json`);
  }

  // --- images ---------------------------------------------------------------

  imageList(opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { query: { all: opts.all || undefined, digests: opts.digests || undefined, filters: filtersQuery(opts.filters) } });
  }

  imageInspect(name: string): Promise<Record<string, unknown>> {
    return this.json('GET', `/images/${encName(name)}/json`);
  }

  imageHistory(name: string): Promise<ImageHistoryItem[]> {
    return this.json('GET', `/images/${encName(name)}/history`);
  }

  async imageTag(source: string, repo: string, tag?: string): Promise<void> {
    await this.send('POST', `/images/${encName(source)}/tag`, { query: { repo, tag: tag || undefined } });
  }

  imageRemove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${encName(name)}`, { query: { force: opts.force || undefined, noprune: opts.noprune || undefined } });
  }

  /** POST /images/load: a JSON-lines progress stream. */
  imageLoad(archive: NodeJS.ReadableStream, opts: { quiet?: boolean } = {}): Promise<http.IncomingMessage> {
    return this.request('POST', '/images/load', { stream: archive, contentType: 'application/x-tar', query: { quiet: opts.quiet ?? false } });
  }

  /** GET /images/get?names=...: a docker-save tar stream. */
  imageSave(names: string[]): Promise<http.IncomingMessage> {
    const q = new URLSearchParams();
    for (const n of names) q.append('names', n);
    return this.request('GET', `/images/get?${q.toString()}`);
  }

  /** POST /images/create?fromSrc=-: import a root filesystem tarball (JSON progress). */
  imageImport(
    source: NodeJS.ReadableStream | undefined,
    opts: { fromSrc?: string; repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string },
  ): Promise<http.IncomingMessage> {
    const q = new URLSearchParams();
    q.set('fromSrc', opts.fromSrc ?? '-');
    if (opts.repo) q.set('repo', opts.repo);
    if (opts.tag) q.set('tag', opts.tag);
    if (opts.message) q.set('message', opts.message);
    if (opts.platform) q.set('platform', opts.platform);
    for (const c of opts.changes ?? []) q.append('changes', c);
    return this.request('POST', `/images/create?${q.toString()}`, source ? { stream: source, contentType: 'application/x-tar' } : {});
  }

  /** POST /images/create?fromImage=...: pull (a JSON progress stream). */
  imagePull(image: string, opts: { tag?: string; platform?: string } = {}): Promise<http.IncomingMessage> {
    return this.request('POST', '/images/create', { query: { fromImage: image, tag: opts.tag || undefined, platform: opts.platform || undefined } });
  }

  imagePrune(filters?: Filters): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/images/prune', { query: { filters: filtersQuery(filters) } });
  }

  // --- update, events, disk usage, prune ---------------------------------------

  /** POST /containers/{id}/update: resources and restart policy (zero values mean unchanged). */
  containerUpdate(id: string, body: Record<string, unknown>): Promise<{ Warnings?: string[] | null }> {
    return this.json('POST', `/containers/${enc(id)}/update`, { body });
  }

  /**
   * GET /events: a stream of JSON lines. `since` and `until` are sent as given (the
   * CLI turns durations and dates into Unix times first, as the Go client does).
   */
  events(opts: { since?: string; until?: string; filters?: Filters } = {}): Promise<http.IncomingMessage> {
    return this.request('GET', '/events', { query: { since: opts.since || undefined, until: opts.until || undefined, filters: filtersQuery(opts.filters) } });
  }

  diskUsage(): Promise<DiskUsage> {
    return this.json('GET', '/system/df');
  }

  networkPrune(filters?: Filters): Promise<PruneReport> {
    return this.json('POST', '/networks/prune', { query: { filters: filtersQuery(filters) } });
  }

  volumePrune(filters?: Filters): Promise<PruneReport> {
    return this.json('POST', '/volumes/prune', { query: { filters: filtersQuery(filters) } });
  }

  buildCachePrune(opts: { all?: boolean; filters?: Filters } = {}): Promise<PruneReport> {
    return this.json('POST', '/build/prune', { query: { all: opts.all || undefined, filters: filtersQuery(opts.filters) } });
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

/** Image names keep their slashes in the path (`/images/library/busybox/json`). */
function encName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export { ApiError };
