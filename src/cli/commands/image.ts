/** `berth image ...` wiring (and the top-level images, rmi, tag, load, save, import, history). */
import type { CommandDef, GroupDef } from '../command.js';
import { lazyActions } from '../lazy.js';
import { filterFlag, plainFormatFlag, tableFormatFlag } from './common-flags.js';
import { pullCommand, pushCommand } from './registry.js';

const {
  historyAction,
  imageInspectAction,
  imagePruneAction,
  imagesAction,
  importAction,
  loadAction,
  rmiAction,
  saveAction,
  tagAction,
} = lazyActions(() => import('../actions/image-ops.js'));

const platformFlag = (usage: string) => ({ name: 'platform', kind: 'string' as const, usage });

export const imagesCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  use: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  aliasPaths: ['image ls', 'image list', 'images'],
  common: true,
  args: { max: 1 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', usage: 'Show digests' },
    filterFlag(true),
    tableFormatFlag,
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
    // docker 28's --tree view: berth always prints the classic table.
    { name: 'tree', kind: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
  ],
  run: (ctx, inv) =>
    imagesAction(ctx, {
      reference: inv.args[0] ?? '',
      all: inv.flags.bool('all'),
      quiet: inv.flags.bool('quiet'),
      digests: inv.flags.bool('digests'),
      noTrunc: inv.flags.bool('no-trunc'),
      filters: inv.flags.list('filter'),
      format: inv.flags.string('format'),
    }),
};

export const rmiCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  aliasPaths: ['image rm', 'image remove', 'rmi'],
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', usage: 'Do not delete untagged parents' },
  ],
  run: (ctx, inv) => rmiAction(ctx, { images: inv.args, force: inv.flags.bool('force'), noPrune: inv.flags.bool('no-prune') }),
};

export const tagCommand: CommandDef = {
  name: 'tag',
  use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliasPaths: ['image tag', 'tag'],
  args: { exact: 2 },
  run: (ctx, inv) => tagAction(ctx, { source: inv.args[0], target: inv.args[1] }),
};

export const loadCommand: CommandDef = {
  name: 'load',
  use: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  aliasPaths: ['image load', 'load'],
  args: { exact: 0 },
  flags: [
    { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    platformFlag('Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")'),
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
  ],
  run: (ctx, inv) => loadAction(ctx, { input: inv.flags.string('input'), quiet: inv.flags.bool('quiet') }),
};

export const saveCommand: CommandDef = {
  name: 'save',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliasPaths: ['image save', 'save'],
  args: { min: 1 },
  flags: [
    { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
    platformFlag('Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")'),
  ],
  run: (ctx, inv) => saveAction(ctx, { images: inv.args, output: inv.flags.string('output') }),
};

export const importCommand: CommandDef = {
  name: 'import',
  use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  aliasPaths: ['image import', 'import'],
  args: { min: 1, max: 2 },
  flags: [
    { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Set commit message for imported image' },
    platformFlag('Set platform if server is multi-platform capable'),
  ],
  run: (ctx, inv) =>
    importAction(ctx, {
      source: inv.args[0],
      reference: inv.args[1] ?? '',
      changes: inv.flags.list('change'),
      message: inv.flags.string('message'),
      platform: inv.flags.string('platform'),
    }),
};

export const historyCommand: CommandDef = {
  name: 'history',
  use: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  aliasPaths: ['image history', 'history'],
  args: { exact: 1 },
  flags: [
    tableFormatFlag,
    { name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', default: true, defaultText: 'true' },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    platformFlag('Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")'),
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  ],
  run: (ctx, inv) =>
    historyAction(ctx, {
      image: inv.args[0],
      human: inv.flags.bool('human'),
      noTrunc: inv.flags.bool('no-trunc'),
      quiet: inv.flags.bool('quiet'),
      format: inv.flags.string('format'),
    }),
};

export const imageInspectCommand: CommandDef = {
  name: 'inspect',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: { min: 1 },
  flags: [plainFormatFlag],
  run: (ctx, inv) => imageInspectAction(ctx, { names: inv.args, format: inv.flags.string('format') }),
};

export const imagePruneCommand: CommandDef = {
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove unused images',
  args: { exact: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    filterFlag(false, 'Provide filter values (e.g. "until=<timestamp>")'),
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: (ctx, inv) => imagePruneAction(ctx, { all: inv.flags.bool('all'), force: inv.flags.bool('force'), filters: inv.flags.list('filter') }),
};

export { pullCommand, pushCommand };

export const imageGroup: GroupDef = {
  name: 'image',
  short: 'Manage images',
  commands: [historyCommand, importCommand, imageInspectCommand, loadCommand, imagesCommand, imagePruneCommand, pullCommand, pushCommand, rmiCommand, saveCommand, tagCommand],
};
