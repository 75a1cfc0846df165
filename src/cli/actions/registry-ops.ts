/** Registry commands: pull, push, login, logout (and the pull `run`/`create` do on a missing image). */
import type { Writable } from 'node:stream';
import { jsonLines, messageError } from '../../client/json-stream.js';
import { StatusError, type CliContext } from '../command.js';
import { configPath, convertToHostname, DOCKER_HUB_KEY, encodeAuthHeader, readConfig, removeAuth, resolveAuth, serverKey, storeAuth, writeConfig, type AuthConfig } from '../docker-config.js';
import { displayJsonMessagesStream } from '../json-progress.js';
import { err, out } from './common.js';
import { prompt } from '../prompt.js';

/** A user-typed image reference, split as the docker CLI does before calling the API. */
export interface ImageRef {
  /** Registry domain: `docker.io` or `host[:port]`. */
  domain: string;
  /** What the user typed before the tag/digest (`busybox`, `127.0.0.1:5000/bb`). */
  name: string;
  /** The repository path within the registry (`library/busybox`, `bb`). */
  path: string;
  tag?: string;
  digest?: string;
}

/** Splits `name[:tag][@digest]` and finds the registry domain (distribution's splitDockerDomain). */
export function parseImageRef(s: string): ImageRef {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let domain = hasDomain ? first : 'docker.io';
  if (domain === 'index.docker.io') domain = 'docker.io';
  let path = hasDomain ? rest.slice(slash + 1) : rest;
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { domain, name: rest, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The fully qualified form docker prints after a pull: `docker.io/library/busybox:latest`. */
export function canonicalRef(r: ImageRef): string {
  let s = `${r.domain}/${r.path}`;
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** The credentials config.json holds for the registry of an image (the X-Registry-Auth header). */
export async function registryAuthHeader(ctx: CliContext, domain: string): Promise<string> {
  const cfg = await readConfig(configPath(ctx.env));
  return encodeAuthHeader(resolveAuth(cfg, domain));
}

async function consume(res: AsyncIterable<Buffer | string>): Promise<void> {
  for await (const msg of jsonLines(res)) {
    const e = messageError(msg);
    if (e) throw e;
  }
}

function terminalOf(w: Writable & { isTTY?: boolean; columns?: number }): { isTerminal: boolean; width: number } {
  return { isTerminal: Boolean(w.isTTY), width: w.columns ?? 0 };
}

/**
 * POST /images/create?fromImage=...: pulls and shows the progress on `to` (stdout for
 * pull, stderr for run/create), bars only on a terminal.
 */
export async function pullImageWithProgress(ctx: CliContext, image: string, o: { all?: boolean; quiet: boolean; platform?: string; to: Writable & { isTTY?: boolean; columns?: number } }): Promise<void> {
  const r = parseImageRef(image);
  const res = await ctx.client().request('POST', '/images/create', {
    query: { fromImage: r.name, tag: r.digest ?? (o.all ? undefined : (r.tag ?? 'latest')), platform: o.platform || undefined },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx, r.domain) },
  });
  if (o.quiet) await consume(res);
  else await displayJsonMessagesStream(res, o.to, terminalOf(o.to));
}

export async function pullAction(ctx: CliContext, o: { image: string; all: boolean; quiet: boolean; platform: string }): Promise<void> {
  const r = parseImageRef(o.image);
  if (o.all && (r.tag !== undefined || r.digest !== undefined)) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
  if (!o.all && r.tag === undefined && r.digest === undefined) {
    if (!o.quiet) out(ctx, 'Using default tag: latest\n');
    r.tag = 'latest';
  }
  const image = o.all ? r.name : `${r.name}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
  await pullImageWithProgress(ctx, image, { all: o.all, quiet: o.quiet, platform: o.platform, to: ctx.streams.out });
  out(ctx, `${canonicalRef(r)}\n`);
}

export async function pushAction(ctx: CliContext, o: { image: string; all: boolean; quiet: boolean }): Promise<void> {
  const r = parseImageRef(o.image);
  if (r.digest !== undefined) throw new StatusError(1, 'cannot push a digest reference');
  if (o.all && r.tag !== undefined) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
  if (!o.all && r.tag === undefined) {
    if (!o.quiet) out(ctx, 'Using default tag: latest\n');
    r.tag = 'latest';
  }
  const res = await ctx.client().request('POST', `/images/${r.name.split('/').map(encodeURIComponent).join('/')}/push`, {
    query: { tag: o.all ? undefined : r.tag },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx, r.domain) },
  });
  if (o.quiet) {
    await consume(res);
    out(ctx, `${o.image}${!o.all && parseImageRef(o.image).tag === undefined ? ':latest' : ''}\n`);
    return;
  }
  await displayJsonMessagesStream(res, ctx.streams.out, terminalOf(ctx.streams.out));
}


async function readAllStdin(ctx: CliContext): Promise<string> {
  let s = '';
  for await (const c of ctx.streams.in as AsyncIterable<Buffer | string>) s += c.toString();
  return s;
}

export interface LoginOptions {
  server: string;
  username: string;
  password: string;
  passwordStdin: boolean;
}

/** `login`: checks the credentials with the daemon (POST /auth), then stores them in config.json. */
export async function loginAction(ctx: CliContext, o: LoginOptions): Promise<void> {
  let { username, password } = o;
  if (password) err(ctx, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (o.passwordStdin) {
    if (password) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
    if (!username) throw new StatusError(1, 'Must provide --username with --password-stdin');
    password = (await readAllStdin(ctx)).replace(/\r?\n$/, '');
  }
  const server = o.server && o.server !== 'docker.io' ? convertToHostname(o.server) : DOCKER_HUB_KEY;
  const file = configPath(ctx.env);
  const cfg = await readConfig(file);
  if (!username || !password) {
    if (!ctx.streams.in.isTTY) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
    const stored = resolveAuth(cfg, server);
    if (!username) {
      username = (await prompt(ctx, stored?.username ? `Username (${stored.username}): ` : 'Username: ', false)).trim() || (stored?.username ?? '');
      if (!username) throw new StatusError(1, 'Error: Non-null Username Required');
    }
    if (!password) {
      password = await prompt(ctx, 'Password: ', true);
      if (!password) throw new StatusError(1, 'Error: Password Required');
    }
  }
  const auth: AuthConfig = { username, password, serveraddress: server };
  const res = await ctx.client().json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', { body: auth });
  if (res?.IdentityToken) auth.identitytoken = res.IdentityToken;
  storeAuth(cfg, serverKey(server), auth);
  try {
    await writeConfig(file, cfg);
  } catch (e) {
    throw new StatusError(1, `Error saving credentials: ${(e as Error).message}`);
  }
  err(ctx, `WARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning.\n\n`);
  out(ctx, `${res?.Status || 'Login Succeeded'}\n`);
}

/** `logout`: forgets the stored credentials of a registry. */
export async function logoutAction(ctx: CliContext, o: { server: string }): Promise<void> {
  const server = o.server && o.server !== 'docker.io' ? convertToHostname(o.server) : DOCKER_HUB_KEY;
  const file = configPath(ctx.env);
  const cfg = await readConfig(file);
  if (!removeAuth(cfg, server)) {
    out(ctx, `Not logged in to ${server}\n`);
    return;
  }
  out(ctx, `Removing login credentials for ${server}\n`);
  await writeConfig(file, cfg);
}
