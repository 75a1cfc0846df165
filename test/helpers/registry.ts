/**
 * Registries for tests, all on 127.0.0.1: Debian's docker-registry (the CNCF
 * distribution registry) with a config written here (no auth, htpasswd over TLS, or
 * bearer tokens from a token server run in this process), a fault-injecting HTTP proxy
 * (corrupt or cut blob downloads, count requests), and a raw client to put manifests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export function registryBinary(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v docker-registry'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why registry tests cannot run here, or undefined when they can. */
export function registrySkipReason(): string | undefined {
  if (!registryBinary()) return 'docker-registry is not installed (scripts/setup.sh installs it: apt-get install docker-registry)';
  if (spawnSync('sh', ['-c', 'command -v openssl && command -v htpasswd']).status !== 0) return 'openssl or htpasswd (apache2-utils) is missing';
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Cert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate for 127.0.0.1 (and localhost). */
export async function makeCert(dir: string, name = 'tls'): Promise<Cert> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

export interface RegistryOpts {
  tls?: Cert;
  htpasswd?: { user: string; password: string };
  token?: { realm: string; service: string; issuer: string; rootCertFile: string };
}

export interface TestRegistry {
  port: number;
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts docker-registry on a free loopback port with its storage in a temp dir. */
export async function startRegistry(name: string, o: RegistryOpts = {}): Promise<TestRegistry> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `berth-reg-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 16)}-`));
  const port = await freePort();
  let yaml = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dir}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: berth-test-secret
`;
  if (o.tls) yaml += `  tls:\n    certificate: ${o.tls.certFile}\n    key: ${o.tls.keyFile}\n`;
  if (o.htpasswd) {
    const r = spawnSync('htpasswd', ['-Bbn', o.htpasswd.user, o.htpasswd.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    await fsp.writeFile(path.join(dir, 'htpasswd'), r.stdout);
    yaml += `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${dir}/htpasswd\n`;
  }
  if (o.token) {
    yaml += `auth:\n  token:\n    realm: ${o.token.realm}\n    service: ${o.token.service}\n    issuer: ${o.token.issuer}\n    rootcertbundle: ${o.token.rootCertFile}\n`;
  }
  await fsp.writeFile(path.join(dir, 'config.yml'), yaml);
  let out = '';
  const proc: ChildProcess = spawn(registryBinary()!, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const scheme = o.tls ? 'https' : 'http';
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${out}`);
    try {
      const r = await rawRequest('GET', `${scheme}://127.0.0.1:${port}/v2/`);
      if (r.status === 200 || r.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not come up: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `${scheme}://127.0.0.1:${port}`,
    dir,
    log: () => out,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A plain HTTP(S) request to a loopback test server (TLS not verified). */
export function rawRequest(method: string, url: string, body?: Buffer, headers: Record<string, string | number> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1') {
      reject(new Error(`tests only talk to 127.0.0.1, not ${u.hostname}`));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method, headers: { ...(body ? { 'Content-Length': body.length } : {}), ...headers }, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes blobs and manifests straight to an unauthenticated registry (to build test images). */
export class RawRegistry {
  constructor(readonly url: string) {}

  async putBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const start = await rawRequest('POST', `${this.url}/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`start upload: ${start.status} ${start.body}`);
    const loc = new URL(String(start.headers.location), this.url);
    loc.searchParams.set('digest', digest);
    const put = await rawRequest('PUT', loc.toString(), data, { 'Content-Type': 'application/octet-stream' });
    if (put.status !== 201) throw new Error(`put blob: ${put.status} ${put.body}`);
    return digest;
  }

  async putManifest(repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<string> {
    const r = await rawRequest('PUT', `${this.url}/v2/${repo}/manifests/${ref}`, bytes, { 'Content-Type': mediaType });
    if (r.status !== 201) throw new Error(`put manifest: ${r.status} ${r.body}`);
    return sha256(bytes);
  }
}

// ---- token server ----------------------------------------------------------------

export interface TokenServer {
  port: number;
  realm: string;
  service: string;
  issuer: string;
  cert: Cert;
  /** Token requests served so far (for cache checks). */
  requests: { method: string; account?: string; scopes: string[]; refresh: boolean }[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * A Docker-style token service: GET /token with Basic credentials (or none: anonymous,
 * granted pull on `public/*` only), POST /token with an OAuth2 refresh token. Tokens are
 * RS256 JWTs whose x5c header carries the certificate the registry trusts.
 */
export async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  const cert = await makeCert(dir, 'token');
  const key = createPrivateKey(cert.keyPem);
  const der = new X509Certificate(cert.certPem).raw;
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  const refreshTokens = new Map<string, string>();
  const requests: TokenServer['requests'] = [];
  const grant = (account: string | undefined, scopes: string[]): { type: string; name: string; actions: string[] }[] =>
    scopes
      .map((s) => {
        const first = s.indexOf(':');
        const last = s.lastIndexOf(':');
        return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',') };
      })
      .map((a) => ({ ...a, actions: account ? a.actions : a.name.startsWith('public/') ? a.actions.filter((x) => x === 'pull') : [] }));
  const issue = (account: string | undefined, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access: grant(account, scopes) };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };
  const deny = (res: http.ServerResponse, details: string): void => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ details }));
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/token') {
      res.writeHead(404);
      res.end();
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST') {
        const form = new URLSearchParams(body);
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const account = refreshTokens.get(form.get('refresh_token') ?? '');
        requests.push({ method: 'POST', account, scopes, refresh: true });
        if (form.get('grant_type') !== 'refresh_token' || !account) return deny(res, 'invalid refresh token');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: issue(account, scopes), expires_in: 300 }));
        return;
      }
      const scopes = u.searchParams.getAll('scope');
      let account: string | undefined;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
        if (users[user] === undefined || users[user] !== rest.join(':')) {
          requests.push({ method: 'GET', account: user, scopes, refresh: false });
          return deny(res, 'incorrect username or password');
        }
        account = user;
      }
      requests.push({ method: 'GET', account, scopes, refresh: false });
      const out: Record<string, unknown> = { token: issue(account, scopes), expires_in: 300, issued_at: new Date().toISOString() };
      if (account && u.searchParams.get('offline_token') === 'true') {
        const rt = `rt-${randomBytes(12).toString('hex')}`;
        refreshTokens.set(rt, account);
        out.refresh_token = rt;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    cert,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---- fault proxy -----------------------------------------------------------------

export type Fault = 'none' | 'corrupt' | 'cut' | 'cut-once' | 'replace';

export interface FaultProxy {
  port: number;
  host: string;
  /** Which requests the fault applies to (blob GETs of one digest, say). */
  fault: Fault;
  /** The body sent instead of the registry's in `replace` mode (Docker-Content-Digest dropped). */
  replacement?: Buffer;
  match: (method: string, path: string) => boolean;
  /** Every request seen: "GET /v2/.../blobs/sha256:..." */
  seen: string[];
  /** Sets the fault (and re-arms cut-once). */
  setFault(f: Fault, match?: (method: string, path: string) => boolean): void;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a plain-HTTP registry. For matching requests it flips a
 * byte in the middle of the body (corrupt), or sends half the body and cuts the
 * connection (cut; cut-once does it to the first matching request only).
 */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const p: FaultProxy = {
    port: 0,
    host: '',
    fault: 'none',
    match: () => false,
    seen: [],
    setFault(f, match) {
      p.fault = f;
      if (match) p.match = match;
      cutDone = false;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  let cutDone = false;
  const server = http.createServer((req, res) => {
    p.seen.push(`${req.method} ${req.url}`);
    const up = http.request(
      // The Host header stays the proxy's, so the registry's Location URLs lead back here.
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent: false },
      (ur) => {
        const apply = p.match(req.method ?? '', req.url ?? '') && (ur.statusCode === 200 || ur.statusCode === 206);
        const mode = apply ? p.fault : 'none';
        if (mode === 'none' || (mode === 'cut-once' && cutDone)) {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          if (mode === 'replace') {
            const h: Record<string, unknown> = { ...ur.headers, 'content-length': String(p.replacement?.length ?? 0) };
            delete h['docker-content-digest'];
            res.writeHead(ur.statusCode ?? 502, h as http.OutgoingHttpHeaders);
            res.end(p.replacement);
            return;
          }
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          if (mode === 'corrupt') {
            const i = Math.floor(body.length / 2);
            body[i] ^= 0xff;
            res.end(body);
            return;
          }
          cutDone = true;
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.port = (server.address() as net.AddressInfo).port;
  p.host = `127.0.0.1:${p.port}`;
  return p;
}
