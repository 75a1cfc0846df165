import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidParameterError } from '../lib/errors.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * What a handler gets for one request. For hijacking routes (attach, exec start) the
 * request may have arrived as an HTTP upgrade (`Upgrade: tcp`): then `res` is absent and
 * `hijack()` answers `101 UPGRADED`; otherwise `hijack()` answers 200 and hands over the
 * raw socket, as dockerd does for clients that do not ask to upgrade.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse | undefined;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** API version the client asked for (from /v1.NN/), or the server's own. */
  readonly apiVersion: string;
  /** Parses the JSON body; an empty body is `undefined`; malformed JSON is a 400. */
  json<T = unknown>(): Promise<T | undefined>;
  /** The request body as a stream (image load/import, archive upload). */
  bodyStream(): NodeJS.ReadableStream;
  send(status: number, body?: unknown): void;
  /** Starts a streamed response with a content type (logs, stats, progress). */
  stream(status: number, contentType: string, headers?: Record<string, string>): ServerResponse;
  hijack(contentType?: string): Duplex;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

interface Route {
  method: Method;
  parts: string[];
  handler: Handler;
  /** Names the Docker API operation the route serves (ContainerCreate, ...). */
  operation: string;
}

/** Path patterns like `/containers/:id/json`; `:name*` swallows the rest (image names with slashes). */
export class Router {
  private routes: Route[] = [];

  add(method: Method, pattern: string, operation: string, handler: Handler): void {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, operation });
  }

  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    const segs = pathname.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segs);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET' && !this.hasHead(route.parts))) {
        return { route, params };
      }
      methodMismatch = true;
    }
    return methodMismatch ? 'method' : undefined;
  }

  private hasHead(parts: string[]): boolean {
    return this.routes.some((r) => r.method === 'HEAD' && r.parts.join('/') === parts.join('/'));
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith(':') && p.endsWith('*')) {
      // Greedy name with slashes, followed by fixed suffix parts.
      const rest = parts.slice(i + 1);
      if (segs.length - i < rest.length + 1) return undefined;
      const end = segs.length - rest.length;
      for (let j = 0; j < rest.length; j++) if (rest[j] !== segs[end + j]) return undefined;
      params[p.slice(1, -1)] = segs.slice(i, end).map(decodeSegment).join('/');
      return params;
    }
    if (i >= segs.length) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = decodeSegment(segs[i]);
    else if (p !== segs[i]) return undefined;
  }
  return parts.length === segs.length ? params : undefined;
}

/** A malformed escape (`%E0%A4%A`) is the client's mistake: a 400, not a 500. */
function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new InvalidParameterError(`invalid escape in request path: ${seg}`);
  }
}

/** Parses a boolean query parameter the way dockerd does ("1", "true", "True"). */
export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const l = v.toLowerCase();
  if (l === '1' || l === 'true' || l === 'yes') return true;
  if (l === '0' || l === 'false' || l === 'no') return false;
  throw new InvalidParameterError(`invalid boolean value for ${name}: ${v}`);
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidParameterError(`invalid value for ${name}: ${v}: must be an integer`);
  return n;
}

/** Docker's `filters` query parameter: JSON `{"key": ["v"]}` or legacy `{"key": {"v": true}}`. */
export function filtersParam(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid filter: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError(`invalid filter: ${raw}`);
  }
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (typeof v === 'object' && v !== null) out.set(k, Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]));
    else throw new InvalidParameterError(`invalid filter: ${raw}`);
  }
  return out;
}

/** Rejects filter keys a list endpoint does not know, with Docker's wording. */
export function checkFilterKeys(filters: Map<string, string[]>, allowed: string[]): void {
  for (const k of filters.keys()) {
    if (!allowed.includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  }
}
