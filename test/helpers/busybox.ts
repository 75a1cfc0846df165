import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot, type TestDaemon } from './daemon.js';

let cached: Buffer | undefined;

/** The busybox image tarball made from Debian's busybox-static (cached per process). */
export function busyboxTar(): Buffer {
  if (!cached) {
    const r = spawnSync('node', [path.join(repoRoot, 'dist/src/tools/make-busybox-image.js')], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error('make-busybox-image failed: ' + r.stderr.toString());
    cached = r.stdout;
  }
  return cached;
}

export async function loadBusybox(d: TestDaemon): Promise<void> {
  const r = await d.api('POST', '/images/load?quiet=1', busyboxTar(), { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200 || !r.body.includes('Loaded image')) throw new Error(`load busybox: ${r.status} ${r.body}`);
}

/** Splits Docker's multiplexed stream into stdout and stderr text. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    const data = buf.subarray(i + 8, i + 8 + size).toString();
    if (buf[i] === 2) stderr += data;
    else stdout += data;
    i += 8 + size;
  }
  return { stdout, stderr };
}
