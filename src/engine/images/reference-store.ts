import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readJson, writeJsonAtomic } from '../../lib/atomic-file.js';
import { isErrno, wrap } from '../../lib/errors.js';
import { parseNormalizedNamed, referenceString, repositoryName, type NamedRef } from './reference.js';

/** On-disk shape, the same as dockerd's `image/overlay2/repositories.json`. */
interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

/**
 * Repository references (tags and digests) → image IDs, kept in memory and persisted
 * crash-consistently as one JSON file after every change.
 */
export class ReferenceStore {
  private readonly refs = new Map<string, { ref: NamedRef; id: string }>();
  private readonly file: string;

  constructor(root: string) {
    this.file = path.join(root, 'repositories.json');
  }

  async init(): Promise<void> {
    let data: RepositoriesFile;
    try {
      data = await readJson<RepositoriesFile>(this.file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw wrap(err, `read ${this.file}`);
    }
    for (const repo of Object.values(data.Repositories ?? {})) {
      for (const [s, id] of Object.entries(repo)) {
        try {
          const ref = parseNormalizedNamed(s);
          this.refs.set(referenceString(ref), { ref, id });
        } catch {
          // A reference berth can no longer parse is unusable; it is dropped on the next save.
        }
      }
    }
  }

  get(ref: NamedRef): string | undefined {
    return this.refs.get(referenceString(ref))?.id;
  }

  /** Points `ref` at `id`; returns the image it pointed at before (if another). */
  async set(ref: NamedRef, id: string): Promise<string | undefined> {
    const key = referenceString(ref);
    const old = this.refs.get(key)?.id;
    this.refs.set(key, { ref, id });
    await this.save();
    return old !== id ? old : undefined;
  }

  async delete(refs: NamedRef[]): Promise<void> {
    let changed = false;
    for (const r of refs) changed = this.refs.delete(referenceString(r)) || changed;
    if (changed) await this.save();
  }

  /** Drops every reference to images that are not in `keep`. */
  async retain(keep: (id: string) => boolean): Promise<void> {
    let changed = false;
    for (const [k, v] of this.refs) {
      if (!keep(v.id)) {
        this.refs.delete(k);
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  /** References to one image, sorted by their full string (as dockerd does). */
  referencesOf(id: string): NamedRef[] {
    return [...this.refs.entries()]
      .filter(([, v]) => v.id === id)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v.ref);
  }

  /** References within one repository (`docker.io/library/busybox`). */
  byRepository(name: string): { ref: NamedRef; id: string }[] {
    return [...this.refs.values()].filter((v) => repositoryName(v.ref) === name).sort((a, b) => (referenceString(a.ref) < referenceString(b.ref) ? -1 : 1));
  }

  private async save(): Promise<void> {
    const out: RepositoriesFile = { Repositories: {} };
    for (const [k, v] of this.refs) {
      const repo = repositoryName(v.ref);
      (out.Repositories[repo] ??= {})[k] = v.id;
    }
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await writeJsonAtomic(this.file, out);
  }
}
