import { promises as fsp } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { InvalidParameterError, NotFoundError } from '../../lib/errors.js';
import { ScopedPathError, cleanScoped } from '../../lib/scoped-path.js';
import { decompressed } from '../../drivers/storage/decompress.js';
import { RootedFs, baseName, type PathStat } from '../../drivers/storage/rooted-fs.js';
import { packTree, writeTar } from '../../drivers/storage/rooted-tar.js';
import { extractTar } from '../../drivers/storage/rooted-untar.js';
import type { EventBus } from '../events.js';
import type { ContainerRecord } from './container-record.js';
import { resolveUser } from './oci-spec.js';

/** What the archive engine needs of the containers engine. */
export interface ArchiveContainers {
  withRootfs<T>(ref: string, fn: (root: string, rec: ContainerRecord) => Promise<T>): Promise<T>;
}

export interface PutOptions {
  /** Refuse to replace a directory with a non-directory or the reverse. */
  noOverwriteDirNonDir: boolean;
  /** Own everything by the container's user (Config.User), as `docker cp -a`. */
  copyUIDGID: boolean;
}

/** Filesystems of a running container that an archive never descends into. */
const PSEUDO_FS = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'bpf', 'configfs', 'fusectl', 'pstore']);

/**
 * docker cp: stat, archive and extract paths of a container's filesystem, running or not
 * (HEAD/GET/PUT /containers/{id}/archive). Every path is resolved inside the container's
 * root (drivers/storage/rooted-fs.ts), whatever its symlinks say.
 */
export class ContainerArchive {
  constructor(private readonly deps: { containers: ArchiveContainers; events: EventBus }) {}

  /** ContainerArchive HEAD: the X-Docker-Container-Path-Stat of a path (last component not followed). */
  async stat(ref: string, p: string): Promise<PathStat> {
    const abs = checkPath(p);
    return this.deps.containers.withRootfs(ref, async (root) => {
      const rfs = await RootedFs.open(root);
      try {
        return await rfs.stat(abs).catch((err: unknown) => notFound(err, p, ref));
      } finally {
        await rfs.close();
      }
    });
  }

  /**
   * ContainerArchive GET: a tar of the path (a directory with its contents; a symlink as
   * itself) named after its last component. `open` is called with the stat once the path
   * is known to exist, and returns where the tar goes.
   */
  async get(ref: string, p: string, open: (stat: PathStat) => Writable): Promise<void> {
    const abs = checkPath(p);
    await this.deps.containers.withRootfs(ref, async (root, rec) => {
      const rfs = await RootedFs.open(root);
      try {
        const stat = await rfs.stat(abs).catch((err: unknown) => notFound(err, p, ref));
        const r = await rfs.resolve(abs, { followFinal: false }).catch((err: unknown) => notFound(err, p, ref));
        try {
          const skipDirs = root.startsWith('/proc/') ? await pseudoMounts(rec.State.Pid) : undefined;
          const out = open(stat);
          this.deps.events.publish('container', 'archive-path', rec.Id, this.attrs(rec));
          await writeTar(out, (pack, signal) => packTree(r.walker.fd, r.name, r.path, pack, { rebaseName: baseName(abs), skipDirs, signal }));
        } finally {
          r.walker.close();
        }
      } finally {
        await rfs.close();
      }
    });
  }

  /** ContainerArchive PUT: extracts a tar (plain or gzip) into a directory of the container. */
  async put(ref: string, p: string, body: Readable, o: PutOptions): Promise<void> {
    const abs = checkPath(p);
    await this.deps.containers.withRootfs(ref, async (root, rec) => {
      const rfs = await RootedFs.open(root);
      try {
        // The destination: every symlink followed, the last one too (extracting "into" a link to a directory).
        const r = await rfs.resolve(abs, { followFinal: true }).catch((err: unknown) => notFound(err, p, ref));
        r.walker.close();
        if (r.kind.type === 'missing') notFound(new ScopedPathError('ENOENT', abs), p, ref);
        if (r.kind.type !== 'dir') throw new InvalidParameterError('extraction point is not a directory');
        checkWritable(rec, r.path);
        let chown: { uid: number; gid: number } | undefined;
        if (o.copyUIDGID && rec.Config.User) {
          const [passwd, group] = await Promise.all([rfs.readFile('/etc/passwd'), rfs.readFile('/etc/group')]);
          const u = resolveUser(rec.Config.User, passwd?.toString('utf8') ?? '', group?.toString('utf8') ?? '');
          chown = { uid: u.uid, gid: u.gid };
        }
        const { stream } = await decompressed(body);
        await extractTar(rfs, r.path, stream, { noOverwriteDirNonDir: o.noOverwriteDirNonDir, chown });
        this.deps.events.publish('container', 'extract-to-dir', rec.Id, this.attrs(rec));
      } finally {
        await rfs.close();
      }
    });
  }

  private attrs(rec: ContainerRecord): Record<string, string> {
    return { ...rec.Config.Labels, image: rec.Config.Image, name: rec.Name.slice(1) };
  }
}

/** The API's `path`: required; made absolute, keeping a trailing `/` or `/.` (they mean "a directory"). */
function checkPath(p: string): string {
  if (!p) throw new InvalidParameterError('bad parameter: path cannot be empty');
  return preserveTrailingDotOrSeparator(cleanScoped(p), p);
}

/** go-archive's PreserveTrailingDotOrSeparator. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  if (original.endsWith('/.') || original === '.') return cleaned === '/' ? '/.' : cleaned + '/.';
  if (original.endsWith('/') && !cleaned.endsWith('/')) return cleaned + '/';
  return cleaned;
}

function notFound(err: unknown, p: string, ref: string): never {
  if (err instanceof ScopedPathError) {
    if (err.code === 'ELOOP') throw new InvalidParameterError(`${p}: too many levels of symbolic links`);
    throw new NotFoundError(`Could not find the file ${p} in container ${ref}`);
  }
  throw err;
}

/** dockerd's checkWritablePath: a read-only mount or rootfs refuses extraction. */
function checkWritable(rec: ContainerRecord, abs: string): void {
  const under = (dest: string): boolean => abs === dest || abs.startsWith(dest.endsWith('/') ? dest : dest + '/');
  const mounts = [...rec.Mounts].sort((a, b) => b.Destination.length - a.Destination.length);
  for (const m of mounts) {
    if (under(m.Destination)) {
      if (m.RW) return;
      throw new InvalidParameterError('mounted volume is marked read-only');
    }
  }
  if (rec.HostConfig.ReadonlyRootfs) throw new InvalidParameterError('container rootfs is marked read-only');
}

/** Mount points (container paths) of pseudo filesystems in a running container. */
async function pseudoMounts(pid: number): Promise<Set<string>> {
  const out = new Set<string>();
  const text = await fsp.readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (PSEUDO_FS.has(fstype)) out.add(fields[4].replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}
