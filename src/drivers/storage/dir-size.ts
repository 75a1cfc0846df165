import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * Bytes used by the regular files under a directory (like Docker's SizeRw of an upper
 * dir): hard links counted once, symlinks not followed, whiteouts count 0.
 */
export async function dirSize(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map(async (e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return walk(p);
        if (!e.isFile()) return;
        const st = await fsp.lstat(p).catch(() => undefined);
        if (!st) return;
        const key = `${st.dev}:${st.ino}`;
        if (st.nlink > 1) {
          if (seen.has(key)) return;
          seen.add(key);
        }
        total += st.size;
      }),
    );
  };
  await walk(root);
  return total;
}
