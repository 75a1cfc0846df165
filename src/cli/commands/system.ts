/** `version`, `info` and `berth system ...` wiring. */
import type { CommandDef, GroupDef } from '../command.js';
import { lazyActions } from '../lazy.js';
import { filterFlag, plainFormatFlag, tableFormatFlag } from './common-flags.js';

const { inspectAction } = lazyActions(() => import('../actions/inspect.js'));
const { infoAction, versionAction } = lazyActions(() => import('../actions/system.js'));
const { dfAction, eventsAction, systemPruneAction } = lazyActions(() => import('../actions/system-ops.js'));

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

export const eventsCommand: CommandDef = {
  name: 'events',
  use: '[OPTIONS]',
  short: 'Get real time events from the server',
  aliasPaths: ['system events', 'events'],
  args: { exact: 0 },
  flags: [
    filterFlag(true),
    { ...plainFormatFlag, short: undefined },
    { name: 'since', kind: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', usage: 'Stream events until this timestamp' },
  ],
  run: (ctx, inv) =>
    eventsAction(ctx, { since: inv.flags.string('since'), until: inv.flags.string('until'), filters: inv.flags.list('filter'), format: inv.flags.string('format') }),
};

export const dfCommand: CommandDef = {
  name: 'df',
  use: '[OPTIONS]',
  short: 'Show berth disk usage',
  args: { exact: 0 },
  flags: [tableFormatFlag, { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' }],
  run: (ctx, inv) => dfAction(ctx, { format: inv.flags.string('format'), verbose: inv.flags.bool('verbose') }),
};

export const systemPruneCommand: CommandDef = {
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove unused data',
  args: { exact: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images not just dangling ones' },
    filterFlag(false, 'Provide filter values (e.g. "label=<key>=<value>")'),
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
    { name: 'volumes', kind: 'bool', usage: 'Prune anonymous volumes' },
  ],
  run: (ctx, inv) =>
    systemPruneAction(ctx, { all: inv.flags.bool('all'), volumes: inv.flags.bool('volumes'), force: inv.flags.bool('force'), filters: inv.flags.list('filter') }),
};

export const systemGroup: GroupDef = {
  name: 'system',
  short: 'Manage berth',
  commands: [dfCommand, eventsCommand, infoCommand, systemPruneCommand],
};
