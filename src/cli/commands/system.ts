/** `version`, `info` and `berth system ...` wiring. */
import type { CommandDef, GroupDef } from '../command.js';
import { lazyActions } from '../lazy.js';
import { plainFormatFlag } from './common-flags.js';

const { inspectAction } = lazyActions(() => import('../actions/inspect.js'));
const { infoAction, versionAction } = lazyActions(() => import('../actions/system.js'));

export const versionCommand: CommandDef = {
  name: 'version',
  use: '[OPTIONS]',
  short: 'Show the berth version information',
  common: true,
  args: { exact: 0 },
  flags: [plainFormatFlag],
  run: (ctx, inv) => versionAction(ctx, { format: inv.flags.string('format') }),
};

export const infoCommand: CommandDef = {
  name: 'info',
  use: '[OPTIONS]',
  short: 'Display system-wide information',
  aliasPaths: ['system info', 'info'],
  common: true,
  args: { exact: 0 },
  flags: [plainFormatFlag],
  run: (ctx, inv) => infoAction(ctx, { format: inv.flags.string('format') }),
};

export const inspectCommand: CommandDef = {
  name: 'inspect',
  use: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on berth objects',
  args: { min: 1 },
  flags: [
    plainFormatFlag,
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', usage: 'Only inspect objects of the given type' },
  ],
  run: (ctx, inv) => inspectAction(ctx, { names: inv.args, format: inv.flags.string('format'), size: inv.flags.bool('size'), type: inv.flags.string('type') }),
};

export const systemGroup: GroupDef = {
  name: 'system',
  short: 'Manage berth',
  commands: [infoCommand],
};
