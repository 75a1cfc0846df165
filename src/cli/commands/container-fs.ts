/** `cp`, `diff`, `export`, `commit` and `stats` wiring: docker's flags and usage, word for word. */
import type { CommandDef } from '../command.js';
import { lazyActions } from '../lazy.js';
import { tableFormatFlag } from './common-flags.js';

const { cpAction } = lazyActions(() => import('../actions/container-cp.js'));
const { diffAction, exportAction, commitAction } = lazyActions(() => import('../actions/container-fs.js'));
const { statsAction } = lazyActions(() => import('../actions/container-stats.js'));

export const cpCommand: CommandDef = {
  name: 'cp',
  use: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  aliasPaths: ['container cp', 'cp'],
  args: { exact: 2 },
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', usage: 'Always follow symlinks in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  run: (ctx, inv) =>
    cpAction(ctx, {
      source: inv.args[0],
      destination: inv.args[1],
      followLink: inv.flags.bool('follow-link'),
      copyUIDGID: inv.flags.bool('archive'),
      quiet: inv.flags.has('quiet') ? inv.flags.bool('quiet') : undefined,
    }),
};

export const diffCommand: CommandDef = {
  name: 'diff',
  use: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  aliasPaths: ['container diff', 'diff'],
  args: { exact: 1 },
  run: (ctx, inv) => diffAction(ctx, { container: inv.args[0] }),
};

export const exportCommand: CommandDef = {
  name: 'export',
  use: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  aliasPaths: ['container export', 'export'],
  args: { exact: 1 },
  flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' }],
  run: (ctx, inv) => exportAction(ctx, { container: inv.args[0], output: inv.flags.string('output') }),
};

export const commitCommand: CommandDef = {
  name: 'commit',
  use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  aliasPaths: ['container commit', 'commit'],
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', kind: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', usage: 'Pause container during commit', default: true, defaultText: 'true' },
  ],
  run: (ctx, inv) =>
    commitAction(ctx, {
      container: inv.args[0],
      reference: inv.args[1],
      author: inv.flags.string('author'),
      message: inv.flags.string('message'),
      changes: inv.flags.list('change'),
      pause: inv.flags.bool('pause'),
    }),
};

export const statsCommand: CommandDef = {
  name: 'stats',
  use: '[OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  aliasPaths: ['container stats', 'stats'],
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    tableFormatFlag,
    { name: 'no-stream', kind: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate output' },
  ],
  run: (ctx, inv) =>
    statsAction(ctx, {
      containers: inv.args,
      all: inv.flags.bool('all'),
      noStream: inv.flags.bool('no-stream'),
      noTrunc: inv.flags.bool('no-trunc'),
      format: inv.flags.string('format'),
    }),
};
