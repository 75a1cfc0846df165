import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { checkCommand, runCommand } from '../sys/command.js';
import { log } from '../../lib/log.js';
import { errorMessage } from '../../lib/errors.js';

/**
 * A read-only view of a container's own filesystem, without its mounts: an overlay whose
 * lower dirs are the container's upper dir on top of the image's layers (no upper, no
 * work dir, so it can coexist with the container's own mount while it runs). What
 * `docker export` archives. `layersTopFirst` must hold at least one dir.
 */
export async function withOverlayView<T>(layersTopFirst: string[], scratchParent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(scratchParent, `view-${randomBytes(6).toString('hex')}`);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    if (layersTopFirst.length === 1) {
      // overlay wants two lower dirs without an upper one: a read-only bind does the same.
      await checkCommand('mount', ['--bind', '-o', 'ro', layersTopFirst[0], dir]);
    } else {
      await checkCommand('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${layersTopFirst.join(':')}`, dir]);
    }
    try {
      return await fn(dir);
    } finally {
      const r = await runCommand('umount', [dir]);
      if (r.code !== 0) await runCommand('umount', ['-l', dir]).catch(() => undefined);
    }
  } finally {
    await fsp.rmdir(dir).catch((err) => log.warn('cannot remove view mount point', { dir, err: errorMessage(err) }));
  }
}
