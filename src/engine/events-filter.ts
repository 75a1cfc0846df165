import { InvalidParameterError } from '../lib/errors.js';
import type { EngineEvent } from './events.js';

const keys = ['type', 'event', 'container', 'image', 'label', 'network', 'volume', 'daemon', 'plugin', 'scope', 'node', 'config', 'secret', 'service'];

/** moby's events filter: every given key must match; values of one key are alternatives. */
export function eventFilter(filters: Map<string, string[]>): (e: EngineEvent) => boolean {
  for (const k of filters.keys()) if (!keys.includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  const has = (k: string): boolean => (filters.get(k)?.length ?? 0) > 0;
  const any = (k: string, pred: (v: string) => boolean): boolean => !has(k) || filters.get(k)!.some(pred);
  const nameOrId = (v: string, id: string, name: string | undefined): boolean => v === name || (v.length > 0 && id.startsWith(v));
  return (e) => {
    const attrs = e.Actor.Attributes;
    if (!any('type', (v) => v === e.Type)) return false;
    // "health_status: healthy" matches the filter "health_status"; "exec_start: sh" matches "exec_start".
    if (!any('event', (v) => v === e.Action || e.Action.startsWith(v + ':'))) return false;
    if (has('container') && !(e.Type === 'container' && any('container', (v) => nameOrId(v, e.Actor.ID, attrs.name)))) return false;
    if (has('image')) {
      const ref = e.Type === 'image' ? [e.Actor.ID, attrs.name] : [attrs.image];
      if (!any('image', (v) => ref.some((r) => r !== undefined && imageMatches(v, r)))) return false;
    }
    if (has('network') && !(e.Type === 'network' && any('network', (v) => nameOrId(v, e.Actor.ID, attrs.name)))) return false;
    if (has('volume') && !(e.Type === 'volume' && any('volume', (v) => v === e.Actor.ID))) return false;
    if (has('daemon') && !(e.Type === 'daemon' && any('daemon', (v) => v === e.Actor.ID || v === attrs.name))) return false;
    if (has('scope') && !any('scope', (v) => v === e.scope)) return false;
    if (has('label')) {
      for (const l of filters.get('label')!) {
        const i = l.indexOf('=');
        if (i < 0 ? !(l in attrs) : attrs[l.slice(0, i)] !== l.slice(i + 1)) return false;
      }
    }
    return true;
  };
}

/** "busybox" matches "busybox:latest" and "docker.io/library/busybox:latest"; IDs match by prefix. */
function imageMatches(filter: string, ref: string): boolean {
  if (filter === ref) return true;
  const strip = (r: string): string => r.replace(/^docker\.io\/(library\/)?/, '');
  const withTag = (r: string): string => (/:[^/]+$/.test(r) || r.includes('@') ? r : r + ':latest');
  if (withTag(strip(filter)) === withTag(strip(ref))) return true;
  const hex = filter.replace(/^sha256:/, '');
  return /^[0-9a-f]{6,64}$/.test(hex) && ref.replace(/^sha256:/, '').startsWith(hex);
}
