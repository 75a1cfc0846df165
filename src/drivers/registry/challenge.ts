/**
 * Registry authentication challenges and token scopes, as the distribution client
 * (docker/distribution registry/client/auth/challenge) reads and writes them. Pure.
 */

/** One challenge of a `WWW-Authenticate` header: `Bearer realm="...",service="..."`. */
export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameters with lower-cased names. */
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses one or more `WWW-Authenticate` header values (RFC 7235): several challenges may
 * share a header, separated by commas; parameter values may be tokens or quoted strings.
 */
export function parseWwwAuthenticate(headers: string | string[] | undefined): Challenge[] {
  if (headers === undefined) return [];
  const out: Challenge[] = [];
  for (const h of Array.isArray(headers) ? headers : [headers]) out.push(...parseOne(h));
  return out;
}

function parseOne(s: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && tokenChar.test(s[i])) i++;
    return s.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (!name) {
      i++; // garbage: skip a character
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      i++;
      skipWs();
      let value: string;
      if (s[i] === '"') {
        i++;
        value = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++; // closing quote
      } else {
        const vs = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++;
        value = s.slice(vs, i);
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    // A token not followed by '=' starts a new challenge (its scheme).
    if (s[i] === '=') {
      // A parameter before any scheme, or a token68 credential: skip it.
      while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++;
      continue;
    }
    if (i === start) continue;
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

export type ScopeAction = 'pull' | 'push' | 'delete' | '*';

/** A resource scope of a token request: `repository:library/busybox:pull,push`. */
export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

export function repositoryScope(name: string, actions: ScopeAction[]): Scope {
  return { type: 'repository', name, actions: [...actions] };
}

export function scopeString(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/** Parses `type:name:actions` (the name may itself contain colons, e.g. a host:port). */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = s.slice(last + 1).split(',').filter(Boolean);
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions };
}

/**
 * Merges scopes for one token request: the same resource's actions are united (sorted,
 * deduplicated) so that `pull` and `pull,push` on one repository ask once for both.
 */
export function mergeScopes(scopes: Scope[]): Scope[] {
  const byKey = new Map<string, Scope>();
  for (const s of scopes) {
    const key = `${s.type}:${s.name}`;
    const prev = byKey.get(key);
    if (prev) prev.actions = [...new Set([...prev.actions, ...s.actions])].sort();
    else byKey.set(key, { ...s, actions: [...new Set(s.actions)].sort() });
  }
  return [...byKey.values()];
}

/** True when `have` grants every action of `want` (for reusing a cached token). */
export function scopesCover(have: Scope[], want: Scope[]): boolean {
  return want.every((w) =>
    have.some((h) => h.type === w.type && h.name === w.name && w.actions.every((a) => h.actions.includes(a) || h.actions.includes('*'))),
  );
}
