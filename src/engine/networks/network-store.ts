import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readJson, removeStaleTemps, writeFileAtomic } from '../../lib/atomic-file.js';
import { isErrno } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

/** Docker's network resource as persisted (Containers and Status are computed when served). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config: { Subnet: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** berth: the Linux bridge of a bridge network. */
  BridgeName?: string;
}

/** One JSON file per network, replaced atomically (fsynced temp file + rename). */
export class NetworkStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
    await removeStaleTemps(this.root);
  }

  async loadAll(): Promise<NetworkRecord[]> {
    const out: NetworkRecord[] = [];
    for (const name of await fsp.readdir(this.root)) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push(await readJson<NetworkRecord>(path.join(this.root, name)));
      } catch (err) {
        log.error('cannot read network record', { file: name, err: String(err) });
      }
    }
    return out;
  }

  async save(rec: NetworkRecord): Promise<void> {
    await writeFileAtomic(path.join(this.root, `${rec.Id}.json`), JSON.stringify(rec, null, 1), 0o600, true);
  }

  async remove(id: string): Promise<void> {
    try {
      await fsp.rm(path.join(this.root, `${id}.json`));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
}
