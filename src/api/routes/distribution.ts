import type { ServerResponse } from 'node:http';
import type { RequestContext, Router } from '../router.js';
import { jsonLines } from '../server.js';
import type { ImageService } from '../../engine/images/image-service.js';
import { InvalidParameterError } from '../../lib/errors.js';
import { parsePlatform } from '../../drivers/registry/manifest.js';
import { parseDigest, parseNormalizedNamed, repoTagReference, repositoryName, type NamedRef } from '../../engine/images/reference.js';
import { credentialsOf, decodeRegistryAuth, type AuthConfig } from '../registry-auth.js';

/**
 * Registry routes (moby's router/image push and router/system auth); the pull half of
 * ImageCreate is served through `pullFromImage`, called by the images routes.
 */
export function distributionRoutes(r: Router, images: ImageService): void {
  r.add('POST', '/images/:name*/push', 'ImagePush', (ctx) => postImagesPush(ctx, images));
  r.add('POST', '/auth', 'SystemAuth', (ctx) => postAuth(ctx, images));
}

/**
 * A JSON progress stream that starts with its first message: a failure before anything
 * was said is an ordinary error response (dockerd's WriteFlusher does the same).
 */
function lazyStream(ctx: RequestContext): { emit: (m: unknown) => void; end(): void } {
  let res: ServerResponse | undefined;
  let write: ((m: unknown) => void) | undefined;
  return {
    emit(m) {
      if (!res) {
        res = ctx.stream(200, 'application/json');
        write = jsonLines(res);
      }
      write!(m);
    },
    end() {
      if (!res) res = ctx.stream(200, 'application/json');
      res.end();
    },
  };
}

/** ImageCreate with fromImage: `fromImage=busybox&tag=latest`, `tag` may be a digest; no tag pulls every tag. */
export async function pullFromImage(ctx: RequestContext, images: ImageService, fromImage: string): Promise<void> {
  const q = ctx.query;
  const tag = q.get('tag') ?? '';
  // As dockerd: `pull -a` may send a trailing ':'; `tag` (maybe a digest) replaces the name's own.
  let ref: NamedRef = parseNormalizedNamed(fromImage.replace(/:$/, ''));
  if (tag) {
    if (tag.includes(':')) ref = { domain: ref.domain, path: ref.path, digest: parseDigest(tag) };
    else ref = repoTagReference(repositoryName(ref), tag);
  }
  const platformText = q.get('platform') ?? '';
  const platform = platformText ? parsePlatform(platformText) : undefined;
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const out = lazyStream(ctx);
  await images.pull({ ref, platform, creds: auth ? credentialsOf(auth) : undefined }, out.emit);
  out.end();
}

async function postImagesPush(ctx: RequestContext, images: ImageService): Promise<void> {
  const tag = ctx.query.get('tag') ?? '';
  let ref = parseNormalizedNamed(ctx.params.name);
  if (tag) {
    if (ref.tag !== undefined || ref.digest !== undefined) throw new InvalidParameterError('invalid reference format');
    ref = parseNormalizedNamed(`${ctx.params.name}:${tag}`);
  }
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const out = lazyStream(ctx);
  await images.push({ ref, creds: auth ? credentialsOf(auth) : undefined }, out.emit);
  out.end();
}

async function postAuth(ctx: RequestContext, images: ImageService): Promise<void> {
  const body = (await ctx.json<AuthConfig>()) ?? {};
  const r = await images.login(body.serveraddress ?? '', credentialsOf(body));
  ctx.send(200, { Status: 'Login Succeeded', IdentityToken: r.identityToken });
}
