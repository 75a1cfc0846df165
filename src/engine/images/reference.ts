import { InvalidParameterError } from '../../lib/errors.js';

/**
 * Image references, parsed and normalized exactly as Docker's distribution/reference
 * package does: `busybox` is `docker.io/library/busybox`, `user/app:1` is
 * `docker.io/user/app:1`, `host:5000/x/y@sha256:…` keeps its registry. Errors carry
 * Docker's wording because clients print them as they are.
 */

/** A parsed, normalized reference: always has a domain and a path; tag and digest optional. */
export interface NamedRef {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A reference that is only a content digest (an image ID given as `sha256:…` or 64 hex). */
export interface DigestRef {
  readonly digestOnly: string;
}

export type AnyRef = NamedRef | DigestRef;

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;
export const DEFAULT_TAG = 'latest';

// The grammar of distribution/reference (regexp.go).
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const referenceRe = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const tagRe = new RegExp(`^${tagPat}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;
const digestSyntaxRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const digestLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function isNamed(r: AnyRef): r is NamedRef {
  return 'path' in r;
}

/** Validates a content digest (`sha256:<64 hex>`); throws Docker's messages otherwise. */
export function parseDigest(s: string): string {
  if (!digestSyntaxRe.test(s)) throw new InvalidParameterError('invalid checksum digest format');
  const i = s.indexOf(':');
  const alg = s.slice(0, i);
  const hex = s.slice(i + 1);
  const len = digestLengths[alg];
  if (len === undefined) throw new InvalidParameterError('unsupported digest algorithm');
  if (hex.length !== len) throw new InvalidParameterError('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new InvalidParameterError('invalid checksum digest format');
  return s;
}

/** True for `sha256:<64 lowercase hex>`, the only digests berth stores content under. */
export function isSha256Digest(s: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}

/** Docker's splitDockerDomain: decides whether the first path component is a registry host. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (
    i === -1 ||
    (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))
  ) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** distribution/reference.Parse on an already fully qualified string. */
function parseQualified(s: string): NamedRef {
  const m = referenceRe.exec(s);
  if (!m) {
    if (s === '') throw new InvalidParameterError('repository name must have at least one component');
    if (referenceRe.test(s.toLowerCase())) throw new InvalidParameterError('repository name must be lowercase');
    throw new InvalidParameterError('invalid reference format');
  }
  const name = m[1];
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidParameterError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const slash = name.indexOf('/');
  const ref: { domain: string; path: string; tag?: string; digest?: string } = {
    domain: name.slice(0, slash),
    path: name.slice(slash + 1),
  };
  if (m[2]) ref.tag = m[2];
  if (m[3]) ref.digest = parseDigest(m[3]);
  return ref;
}

/**
 * ParseNormalizedNamed: a user-typed name (`busybox`, `user/app:tag`, `host:5000/x@sha256:…`)
 * becomes a fully qualified reference. No default tag is added (see withDefaultTag).
 */
export function parseNormalizedNamed(s: string): NamedRef {
  if (anchoredIdentifierRe.test(s)) {
    throw new InvalidParameterError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidParameterError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  return parseQualified(`${domain}/${remainder}`);
}

/** ParseAnyReference: a 64-hex ID or a `sha256:` digest is a digest reference; anything else a name. */
export function parseAnyReference(s: string): AnyRef {
  if (anchoredIdentifierRe.test(s)) return { digestOnly: `sha256:${s}` };
  try {
    return { digestOnly: parseDigest(s) };
  } catch {
    return parseNormalizedNamed(s);
  }
}

/** TagNameOnly: a bare name gets `:latest`; a name with a tag or digest is unchanged. */
export function withDefaultTag(r: NamedRef): NamedRef {
  if (r.tag === undefined && r.digest === undefined) return { ...r, tag: DEFAULT_TAG };
  return r;
}

/** Parses a user reference and applies the default tag (what `docker tag/run/rmi` do). */
export function parseTaggedOrDigested(s: string): NamedRef {
  return withDefaultTag(parseNormalizedNamed(s));
}

/** The repository name, fully qualified: `docker.io/library/busybox`. */
export function repositoryName(r: NamedRef): string {
  return `${r.domain}/${r.path}`;
}

/** The fully qualified string: `docker.io/library/busybox:latest`. */
export function referenceString(r: NamedRef): string {
  let s = repositoryName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** FamiliarName: `docker.io/library/busybox` is shown as `busybox`, `docker.io/u/a` as `u/a`. */
export function familiarName(r: NamedRef): string {
  if (r.domain !== DEFAULT_DOMAIN) return repositoryName(r);
  let p = r.path;
  if (p.startsWith(OFFICIAL_REPO_PREFIX) && !p.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    p = p.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return p;
}

/** FamiliarString: `busybox:latest`, `busybox@sha256:…`, `host:5000/app:1`. */
export function familiarString(r: NamedRef): string {
  let s = familiarName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/**
 * Builds the reference `repo:tag` for image tag and import (`repo` may itself carry a tag
 * when `tag` is empty, as the API allows). Digests are refused: a tag must be movable.
 */
export function repoTagReference(repo: string, tag: string): NamedRef {
  if (!repo) throw new InvalidParameterError('repository name must have at least one component');
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw new InvalidParameterError('refusing to create a tag with a digest reference');
  if (tag) {
    if (!tagRe.test(tag)) throw new InvalidParameterError('invalid tag format');
    if (ref.tag !== undefined) {
      // `repo=busybox:1&tag=2` is ambiguous; Docker parses `busybox:1:2` and fails.
      throw new InvalidParameterError('invalid reference format');
    }
    return { domain: ref.domain, path: ref.path, tag };
  }
  return withDefaultTag(ref);
}

/**
 * Go's path.Match, as Docker's `reference` filter uses it: `*` and `?` never match `/`,
 * `[...]` classes (with `^` negation and ranges) and `\` escapes are supported.
 * A malformed pattern is an InvalidParameterError ("syntax error in pattern").
 */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) throw new InvalidParameterError('syntax error in pattern');
      re += escapeRe(pattern[i]);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) throw new InvalidParameterError('syntax error in pattern');
      let body = pattern.slice(i + 1, end);
      let neg = false;
      if (body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      if (!body) throw new InvalidParameterError('syntax error in pattern');
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        if (body[j] === '\\' && j + 1 < body.length) {
          cls += escapeRe(body[++j]);
        } else if (body[j + 1] === '-' && j + 2 < body.length) {
          if (body[j] > body[j + 2]) throw new InvalidParameterError('syntax error in pattern');
          cls += `${escapeRe(body[j])}-${escapeRe(body[j + 2])}`;
          j += 2;
        } else cls += escapeRe(body[j]);
      }
      re += neg ? `(?!/)[^${cls}]` : `[${cls}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$', 's').test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** FamiliarMatch: the pattern may match the familiar string (`busybox:latest`) or the familiar name. */
export function familiarMatch(pattern: string, r: NamedRef): boolean {
  return pathMatch(pattern, familiarString(r)) || pathMatch(pattern, familiarName(r));
}

/** Docker's TruncateID: 12 hex characters without the algorithm. */
export function shortId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}
