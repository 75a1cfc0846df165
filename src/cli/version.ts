/** The CLI's own version (its own module: `berth --version` loads nothing else). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI's own version, from package.json. */
export function clientVersionString(): string {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // dist/src/cli → the checkout root.
    const pkg = JSON.parse(readFileSync(path.resolve(here, '../../../package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}
