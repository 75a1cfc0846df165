import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readJson, removeStaleTemps, writeJsonAtomic } from '../../lib/atomic-file.js';
import { isErrno } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { ContainerRecord } from './container-record.js';

const RECORD = 'config.v2.json';

/** Container records on disk: one directory per container, its record replaced atomically. */
export class ContainerStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o710 });
  }

  async save(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.dir(rec.Id), RECORD), rec);
  }

  async loadAll(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await fsp.readdir(this.root)) {
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      await removeStaleTemps(this.dir(id));
      try {
        out.push(await readJson<ContainerRecord>(path.join(this.dir(id), RECORD)));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          // A create that crashed before its first record: nothing refers to it.
          log.warn('removing half-created container directory', { id });
          await fsp.rm(this.dir(id), { recursive: true, force: true });
        } else {
          log.error('cannot read container record', { id, err: (err as Error).message });
        }
      }
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    // Remove the record first: a crash half-way through leaves no record pointing at nothing.
    await fsp.rm(path.join(this.dir(id), RECORD), { force: true });
    await fsp.rm(this.dir(id), { recursive: true, force: true });
  }
}
