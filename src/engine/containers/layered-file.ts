import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * Reads a file of a container's filesystem without mounting it: the upper dir first, then
 * the image's layers from the top; an overlay whiteout (a 0/0 character device) hides the
 * file below it. Opaque directories are not honoured (Node cannot read xattrs); that only
 * matters for a layer that replaced a whole directory holding the file. Empty text when
 * the file does not exist.
 */
export async function readLayeredFile(upper: string, layersBottomFirst: string[], rel: string): Promise<string> {
  for (const dir of [upper, ...[...layersBottomFirst].reverse()]) {
    const p = path.join(dir, rel);
    let st;
    try {
      st = await fsp.lstat(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return '';
    if (!st.isFile()) return '';
    return fsp.readFile(p, 'utf8');
  }
  return '';
}
