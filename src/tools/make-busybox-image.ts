#!/usr/bin/env node
/**
 * Writes to stdout a `docker save` tarball of `busybox:latest`, made from the host's
 * static busybox (Debian's busybox-static): /bin/busybox with every applet as a hard
 * link, a minimal /etc/passwd and /etc/group, /tmp, /root, /home and /var/www.
 * Every time and owner is fixed, so the same busybox binary always gives the same ID.
 *
 *   node dist/src/tools/make-busybox-image.js | bin/berth load
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tar from 'tar-stream';
import { memoryBlobs, writeImageArchive, type SaveImage } from '../engine/images/image-save.js';
import type { ImageConfigBlob } from '../engine/images/image-types.js';
import { parseNormalizedNamed } from '../engine/images/reference.js';

export const BUSYBOX_PATH = process.env.BUSYBOX ?? '/bin/busybox';
export const FIXED_TIME = '2024-01-01T00:00:00Z';
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MTIME = new Date(FIXED_TIME);

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  body?: Buffer | string;
  linkname?: string;
  uid?: number;
  gid?: number;
}

/** Builds an uncompressed tar in memory, in the given order, with fixed times and owners. */
export async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', (e) => reject(e));
  });
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: e.name,
          type: e.type,
          // tar-stream turns a mode of 0 into a default; the file-type bit keeps 0.
          mode: e.mode || 0o100000,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: MTIME,
          ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
        },
        e.type === 'file' ? (e.body ?? '') : undefined!,
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** The rootfs layer: busybox, its applets (hard links), users and the usual directories. */
export async function busyboxLayer(): Promise<Buffer> {
  const binary = readFileSync(BUSYBOX_PATH);
  const applets = execFileSync(BUSYBOX_PATH, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox')
    .sort();
  const dirs = new Set<string>(['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'sbin', 'var', 'var/www']);
  for (const a of applets) {
    for (let d = path.posix.dirname(a); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  const modes: Record<string, number> = { root: 0o700, tmp: 0o1777 };
  const entries: TarEntry[] = [...dirs].sort().map((d) => ({ name: d, type: 'directory' as const, mode: modes[d] ?? 0o755 }));
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, body: binary });
  for (const a of applets) entries.push({ name: a, type: 'link', mode: 0o755, linkname: 'bin/busybox' });
  entries.push(
    {
      name: 'etc/passwd',
      type: 'file',
      mode: 0o644,
      body: [
        'root:x:0:0:root:/root:/bin/sh',
        'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
        'www-data:x:33:33:www-data:/var/www:/bin/false',
        'nobody:x:65534:65534:nobody:/home:/bin/false',
        '',
      ].join('\n'),
    },
    {
      name: 'etc/group',
      type: 'file',
      mode: 0o644,
      body: ['root:x:0:', 'daemon:x:1:', 'www-data:x:33:', 'nogroup:x:65534:', ''].join('\n'),
    },
  );
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Hard links must follow their target.
  const links = entries.filter((e) => e.type === 'link');
  const rest = entries.filter((e) => e.type !== 'link');
  return tarBuffer([...rest, ...links]);
}

export function busyboxVersion(): string {
  try {
    return /BusyBox (v[^\s]+)/.exec(execFileSync(BUSYBOX_PATH, ['--help'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** The busybox image's config (one layer, `CMD ["sh"]`). */
export function busyboxConfig(diffId: string): ImageConfigBlob {
  return {
    architecture: goArch(),
    config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
    created: FIXED_TIME,
    history: [
      { created: FIXED_TIME, created_by: `/bin/sh -c #(nop) ADD busybox-static ${busyboxVersion()} in / ` },
      { created: FIXED_TIME, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [diffId] },
  };
}

/** Writes one image (config + layers) as a docker-save archive to stdout. */
export async function writeArchiveToStdout(tag: string, config: ImageConfigBlob, layers: Buffer[]): Promise<string> {
  const blobs = new Map<string, Buffer>();
  const configBytes = Buffer.from(JSON.stringify(config));
  const id = sha256(configBytes);
  blobs.set(id, configBytes);
  for (const l of layers) blobs.set(sha256(l), l);
  const img: SaveImage = { id, diffIds: layers.map((l) => sha256(l)), refs: [parseNormalizedNamed(tag)] };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(1);
    throw err;
  });
  await writeImageArchive([img], memoryBlobs(blobs), process.stdout);
  return id;
}

async function main(): Promise<void> {
  if (process.stdout.isTTY) {
    process.stderr.write('refusing to write a tar archive to a terminal; pipe it: make-busybox-image | berth load\n');
    process.exit(2);
  }
  const layer = await busyboxLayer();
  const id = await writeArchiveToStdout('busybox:latest', busyboxConfig(sha256(layer)), [layer]);
  process.stderr.write(`busybox:latest ${id}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`make-busybox-image: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
