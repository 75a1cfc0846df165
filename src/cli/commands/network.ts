/** `berth network ...` wiring. */
import type { CommandDef, GroupDef } from '../command.js';
import { lazyActions } from '../lazy.js';
import { filterFlag, plainFormatFlag, tableFormatFlag } from './common-flags.js';

const {
  networkConnectAction,
  networkCreateAction,
  networkDisconnectAction,
  networkInspectAction,
  networkListAction,
  networkPruneAction,
  networkRemoveAction,
} = lazyActions(() => import('../actions/network-ops.js'));

export const networkCreateCommand: CommandDef = {
  name: 'create',
  use: '[OPTIONS] NETWORK',
  short: 'Create a network',
  args: { exact: 1 },
  flags: [
    { name: 'attachable', kind: 'bool', usage: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', typeName: 'map', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver', defaultText: 'map[]' },
    { name: 'config-from', kind: 'string', usage: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', usage: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', usage: 'Driver to manage the Network', default: 'bridge', defaultText: '"bridge"' },
    { name: 'gateway', kind: 'list', typeName: 'strings', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', usage: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', usage: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', typeName: 'strings', usage: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', usage: 'IP Address Management Driver', default: 'default', defaultText: '"default"' },
    { name: 'ipam-opt', kind: 'list', typeName: 'map', usage: 'Set IPAM driver specific options', defaultText: 'map[]' },
    { name: 'ipv6', kind: 'bool', usage: 'Enable or disable IPv6 networking' },
    { name: 'label', kind: 'list', usage: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'list', typeName: 'map', usage: 'Set driver specific options', defaultText: 'map[]' },
    { name: 'scope', kind: 'string', usage: "Control the network's scope" },
    { name: 'subnet', kind: 'list', typeName: 'strings', usage: 'Subnet in CIDR format that represents a network segment' },
  ],
  run: (ctx, inv) =>
    networkCreateAction(ctx, {
      name: inv.args[0],
      driver: inv.flags.string('driver') || 'bridge',
      subnets: inv.flags.list('subnet'),
      gateways: inv.flags.list('gateway'),
      ipRanges: inv.flags.list('ip-range'),
      auxAddresses: inv.flags.list('aux-address'),
      ipamDriver: inv.flags.string('ipam-driver') || 'default',
      ipamOpts: inv.flags.list('ipam-opt'),
      opts: inv.flags.list('opt'),
      labels: inv.flags.list('label'),
      internal: inv.flags.bool('internal'),
      attachable: inv.flags.bool('attachable'),
      ingress: inv.flags.bool('ingress'),
      ipv6: inv.flags.bool('ipv6'),
      scope: inv.flags.string('scope'),
      configOnly: inv.flags.bool('config-only'),
      configFrom: inv.flags.string('config-from'),
    }),
};

export const networkListCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  use: '[OPTIONS]',
  short: 'List networks',
  aliasPaths: ['network ls', 'network list'],
  args: { exact: 0 },
  flags: [
    filterFlag(true, 'Provide filter values (e.g. "driver=bridge")'),
    tableFormatFlag,
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display network IDs' },
  ],
  run: (ctx, inv) =>
    networkListAction(ctx, { quiet: inv.flags.bool('quiet'), noTrunc: inv.flags.bool('no-trunc'), filters: inv.flags.list('filter'), format: inv.flags.string('format') }),
};

export const networkInspectCommand: CommandDef = {
  name: 'inspect',
  use: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [plainFormatFlag, { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output for diagnostics' }],
  run: (ctx, inv) => networkInspectAction(ctx, { names: inv.args, format: inv.flags.string('format'), verbose: inv.flags.bool('verbose') }),
};

export const networkRemoveCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  use: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  aliasPaths: ['network rm', 'network remove'],
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Do not error if the network does not exist' }],
  run: (ctx, inv) => networkRemoveAction(ctx, { names: inv.args, force: inv.flags.bool('force') }),
};

export const networkPruneCommand: CommandDef = {
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove all unused networks',
  args: { exact: 0 },
  flags: [filterFlag(false, 'Provide filter values (e.g. "until=<timestamp>")'), { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' }],
  run: (ctx, inv) => networkPruneAction(ctx, { force: inv.flags.bool('force'), filters: inv.flags.list('filter') }),
};

export const networkConnectCommand: CommandDef = {
  name: 'connect',
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: { exact: 2 },
  flags: [
    { name: 'alias', kind: 'list', typeName: 'strings', usage: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', typeName: 'strings', usage: 'driver options for the network' },
    { name: 'ip', kind: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', usage: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', typeName: 'strings', usage: 'Add a link-local address for the container' },
  ],
  run: (ctx, inv) =>
    networkConnectAction(ctx, {
      network: inv.args[0],
      container: inv.args[1],
      aliases: inv.flags.list('alias'),
      ip: inv.flags.string('ip'),
      ip6: inv.flags.string('ip6'),
      links: inv.flags.list('link'),
      linkLocalIps: inv.flags.list('link-local-ip'),
      driverOpts: inv.flags.list('driver-opt'),
    }),
};

export const networkDisconnectCommand: CommandDef = {
  name: 'disconnect',
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: { exact: 2 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the container to disconnect from a network' }],
  run: (ctx, inv) => networkDisconnectAction(ctx, { network: inv.args[0], container: inv.args[1], force: inv.flags.bool('force') }),
};

export const networkGroup: GroupDef = {
  name: 'network',
  short: 'Manage networks',
  commands: [
    networkConnectCommand,
    networkCreateCommand,
    networkDisconnectCommand,
    networkInspectCommand,
    networkListCommand,
    networkPruneCommand,
    networkRemoveCommand,
  ],
};
