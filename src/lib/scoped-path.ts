/**
 * Path resolution scoped to a root directory, like Go's securejoin / openat2's
 * RESOLVE_IN_ROOT: every symlink is followed by hand, component by component, and
 * anything that would leave the root — `..` above it, an absolute symlink target, a
 * relative one climbing out — is resolved as if the root were `/`. The kernel never gets
 * to follow a link itself, so a container's `/etc -> /` or `x -> ../../../..` can only
 * ever land inside the container (CVE-2018-15664 class).
 *
 * The algorithm is pure: it drives a `ScopeWalker`, a cursor over a directory tree that a
 * caller implements over file descriptors (drivers/storage/rooted-fs.ts) or over a map in
 * tests.
 */

/** What a name is in a directory, without following it. */
export type NodeKind = { type: 'dir' } | { type: 'symlink'; target: string } | { type: 'file' } | { type: 'other' } | { type: 'missing' };

/** A cursor over a directory tree, positioned in one directory (initially the root). */
export interface ScopeWalker {
  look(name: string): Promise<NodeKind>;
  /** Moves into `name`, a directory `look` just reported. */
  enter(name: string): Promise<void>;
  /** Moves to the parent directory; a no-op at the root. */
  leave(): Promise<void>;
  /** Moves back to the root. */
  reset(): Promise<void>;
  /** Creates directory `name` in the current directory (for `missing: 'mkdir'`). */
  mkdir?(name: string): Promise<void>;
}

export type ScopedErrorCode = 'ENOENT' | 'ENOTDIR' | 'ELOOP';

export class ScopedPathError extends Error {
  constructor(
    readonly code: ScopedErrorCode,
    readonly path: string,
  ) {
    super(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : 'too many levels of symbolic links'}`);
    this.name = 'ScopedPathError';
  }
}

export interface ResolveOptions {
  /** Follow a symlink in the last component too (a trailing `/` always does). */
  followFinal: boolean;
  /**
   * A missing directory before the last component: `error` (ENOENT), `mkdir` (create it,
   * mode from the walker), or `lexical` (resolve the rest as plain names, like
   * securejoin; the walker is then no longer positioned).
   */
  missing?: 'error' | 'mkdir' | 'lexical';
  /** Symlinks followed before giving up with ELOOP (Linux: 40). */
  maxLinks?: number;
}

export interface ScopedResult {
  /** The resolved path inside the root: absolute and clean ("/etc/passwd", "/" for the root). */
  path: string;
  /** The last component, in the walker's current directory; '' when the path is the root itself. */
  name: string;
  kind: NodeKind;
  /** False after a missing component resolved lexically: the walker is not in `path`'s parent. */
  positioned: boolean;
  /** The path named a directory explicitly (trailing `/` or `/.`). */
  trailingSlash: boolean;
}

/** Splits a path into its names, dropping empty and `.` components. */
export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Resolves `unsafe` (absolute or relative to the root) inside the walker's root. On return
 * the walker is positioned in the directory holding the last component (unless
 * `positioned` is false). Throws ScopedPathError for missing or non-directory components
 * before the last, and for symlink loops.
 */
export async function resolveScoped(unsafe: string, w: ScopeWalker, o: ResolveOptions): Promise<ScopedResult> {
  const maxLinks = o.maxLinks ?? 40;
  const missing = o.missing ?? 'error';
  const trailingSlash = /\/\.?$/.test(unsafe) && splitPath(unsafe).length > 0;
  const followFinal = o.followFinal || trailingSlash;
  const stack: string[] = [];
  let queue = splitPath(unsafe);
  let links = 0;
  await w.reset();
  const here = (): string => '/' + stack.join('/');

  while (queue.length) {
    const name = queue.shift()!;
    if (name === '..') {
      if (stack.length) {
        stack.pop();
        await w.leave();
      }
      continue;
    }
    // The last real component: `..` after it would still make it an intermediate.
    const last = queue.every((c) => c === '..') ? queue.length === 0 : false;
    const kind = await w.look(name);
    if (kind.type === 'symlink' && (!last || followFinal)) {
      if (++links > maxLinks) throw new ScopedPathError('ELOOP', here() + '/' + name);
      if (kind.target.startsWith('/')) {
        stack.length = 0;
        await w.reset();
      }
      queue = [...splitPath(kind.target), ...queue];
      continue;
    }
    if (last) {
      if (trailingSlash && kind.type !== 'dir' && kind.type !== 'missing') throw new ScopedPathError('ENOTDIR', here() + '/' + name);
      return { path: joinStack([...stack, name]), name, kind, positioned: true, trailingSlash };
    }
    if (kind.type === 'dir') {
      stack.push(name);
      await w.enter(name);
      continue;
    }
    if (kind.type === 'missing') {
      if (missing === 'mkdir' && w.mkdir) {
        await w.mkdir(name);
        stack.push(name);
        await w.enter(name);
        continue;
      }
      if (missing === 'lexical') {
        const rest = [...stack, name];
        for (const c of queue) {
          if (c === '..') rest.pop();
          else rest.push(c);
        }
        const leaf = rest.length ? rest[rest.length - 1] : '';
        return { path: joinStack(rest), name: leaf, kind: { type: 'missing' }, positioned: false, trailingSlash };
      }
      throw new ScopedPathError('ENOENT', here() + '/' + name);
    }
    throw new ScopedPathError('ENOTDIR', here() + '/' + name);
  }
  // The root itself, or a path ending in `..`: the walker is inside the directory; step
  // back out so it is positioned in the parent like for any other last component.
  if (!stack.length) return { path: '/', name: '', kind: { type: 'dir' }, positioned: true, trailingSlash };
  const name = stack.pop()!;
  await w.leave();
  return { path: joinStack([...stack, name]), name, kind: { type: 'dir' }, positioned: true, trailingSlash };
}

function joinStack(parts: string[]): string {
  return '/' + parts.join('/');
}

/**
 * The lexical join Go's filepath.Join + Clean does, scoped: `..` never climbs above `/`.
 * Pure; follows no links.
 */
export function cleanScoped(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}
