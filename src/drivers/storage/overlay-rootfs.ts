import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { checkCommand, runCommand } from '../sys/command.js';
import { SystemError } from '../../lib/errors.js';

/** The kernel takes one page of mount data; stay well below it. */
const MAX_MOUNT_DATA = 3800;

/**
 * A container's root filesystem: the image's layers (read-only lower dirs) under the
 * container's own upper dir, merged by overlayfs.
 */
export class OverlayRootfs {
  /**
   * The overlay as an OCI mount at "/", for runc to mount inside the container's own mount
   * namespace: no mount/umount process per start, and nothing left mounted on the host if
   * anything crashes. Undefined when the options would not fit the kernel's page of mount
   * data (runc cannot use relative paths): then mount on the host.
   */
  rootMount(lowerDirs: string[], upper: string, work: string): Record<string, unknown> | undefined {
    if (lowerDirs.length === 0) return undefined;
    const opts = `lowerdir=${[...lowerDirs].reverse().join(':')},upperdir=${upper},workdir=${work}`;
    if (opts.length > MAX_MOUNT_DATA) return undefined;
    return { destination: '/', type: 'overlay', source: 'overlay', options: opts.split(',') };
  }

  /** `lowerDirs` bottom layer first (the image's order); overlay wants the top one leftmost. */
  async mount(lowerDirs: string[], upper: string, work: string, merged: string): Promise<void> {
    if (await this.isMounted(merged)) return;
    await Promise.all([upper, work, merged].map((d) => fsp.mkdir(d, { recursive: true })));
    const top = [...lowerDirs].reverse();
    let lower = top.join(':');
    let cwd: string | undefined;
    let opts = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
    if (opts.length > MAX_MOUNT_DATA) {
      // Deep images: name the lower dirs relative to their common parent (the short links dir).
      cwd = commonParent(top);
      lower = top.map((d) => path.relative(cwd!, d)).join(':');
      opts = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
      if (opts.length > MAX_MOUNT_DATA) throw new SystemError(`too many layers to mount (${lowerDirs.length})`);
    }
    if (lowerDirs.length === 0) {
      // overlay needs at least one lower dir: an empty image gets an empty one.
      const empty = path.join(path.dirname(upper), 'empty');
      await fsp.mkdir(empty, { recursive: true });
      opts = `lowerdir=${empty},upperdir=${upper},workdir=${work}`;
    }
    await checkCommand('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { cwd });
  }

  async unmount(merged: string): Promise<void> {
    if (!(await this.isMounted(merged))) return;
    const r = await runCommand('umount', [merged]);
    if (r.code !== 0 && (await this.isMounted(merged))) {
      // Busy (a process still holds a file): detach it lazily rather than fail the removal.
      await checkCommand('umount', ['-l', merged]);
    }
  }

  async isMounted(dir: string): Promise<boolean> {
    const mounts = await fsp.readFile('/proc/self/mountinfo', 'utf8');
    const want = ' ' + escapeMountPath(path.resolve(dir)) + ' ';
    return mounts.split('\n').some((l) => {
      const i = l.indexOf(' ', l.indexOf(' ', l.indexOf(' ', l.indexOf(' ') + 1) + 1) + 1);
      return l.slice(i).startsWith(want);
    });
  }
}

function escapeMountPath(p: string): string {
  return p.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

function commonParent(dirs: string[]): string {
  let parent = path.dirname(dirs[0]);
  while (!dirs.every((d) => d.startsWith(parent + '/'))) parent = path.dirname(parent);
  return parent;
}
