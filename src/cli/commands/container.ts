/**
 * `berth container ...` wiring: each command's flags, argument rule and usage, turned
 * into the typed options its action takes. The actions live in ../actions/.
 */
import type { CommandDef, GroupDef } from '../command.js';
import { containerFlags, containerOptionsFromFlags, runOnlyFlags } from '../run-options.js';
import { lazyActions } from '../lazy.js';
import { detachKeysFlag, filterFlag, plainFormatFlag, tableFormatFlag } from './common-flags.js';
import { updateCommand } from './container-update.js';
import { commitCommand, cpCommand, diffCommand, exportCommand, statsCommand } from './container-fs.js';

const { createAction, runAction } = lazyActions(() => import('../actions/container-run.js'));
const {
  attachAction,
  killAction,
  pauseAction,
  removeAction,
  renameAction,
  restartAction,
  startAction,
  stopAction,
  unpauseAction,
  waitAction,
} = lazyActions(() => import('../actions/container-ops.js'));
const { containerInspectAction, logsAction, portAction, psAction, topAction } = lazyActions(() => import('../actions/container-query.js'));
const { execAction } = lazyActions(() => import('../actions/container-exec.js'));
const { containerPruneAction } = lazyActions(() => import('../actions/image-ops.js'));

const signalFlag = { name: 'signal', short: 's', kind: 'string' as const, usage: 'Signal to send to the container' };
const timeoutFlag = { name: 'timeout', short: 't', kind: 'int' as const, usage: 'Seconds to wait before killing the container' };

export const runCommand: CommandDef = {
  name: 'run',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  aliasPaths: ['container run', 'run'],
  common: true,
  interspersed: false,
  args: { min: 1 },
  flags: [...containerFlags, ...runOnlyFlags],
  run: (ctx, inv) =>
    runAction(ctx, {
      ...containerOptionsFromFlags(inv.flags),
      detach: inv.flags.bool('detach'),
      sigProxy: inv.flags.bool('sig-proxy'),
      detachKeys: inv.flags.string('detach-keys'),
    }),
};

export const createCommand: CommandDef = {
  name: 'create',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  aliasPaths: ['container create', 'create'],
  interspersed: false,
  args: { min: 1 },
  flags: [
    ...containerFlags.map((f) => (f.name === 'pull' ? { ...f, usage: 'Pull image before creating ("always", "missing", "never")' } : f)),
    { name: 'help', kind: 'bool', usage: 'Print usage' },
  ],
  run: (ctx, inv) => createAction(ctx, containerOptionsFromFlags(inv.flags)),
};

export const startCommand: CommandDef = {
  name: 'start',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  aliasPaths: ['container start', 'start'],
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'checkpoint', kind: 'string', usage: 'Restore from this checkpoint', hidden: true },
    { name: 'checkpoint-dir', kind: 'string', usage: 'Use a custom checkpoint storage directory', hidden: true },
    detachKeysFlag,
    { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
  ],
  run: (ctx, inv) =>
    startAction(ctx, { containers: inv.args, attach: inv.flags.bool('attach'), interactive: inv.flags.bool('interactive'), detachKeys: inv.flags.string('detach-keys') }),
};

export const stopCommand: CommandDef = {
  name: 'stop',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  aliasPaths: ['container stop', 'stop'],
  args: { min: 1 },
  flags: [signalFlag, timeoutFlag, { name: 'time', kind: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true, dest: 'timeout' }],
  run: (ctx, inv) =>
    stopAction(ctx, { containers: inv.args, signal: inv.flags.string('signal'), timeout: inv.flags.has('timeout') ? inv.flags.number('timeout') : undefined }),
};

export const restartCommand: CommandDef = {
  name: 'restart',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  aliasPaths: ['container restart', 'restart'],
  args: { min: 1 },
  flags: [signalFlag, timeoutFlag, { name: 'time', kind: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true, dest: 'timeout' }],
  run: (ctx, inv) =>
    restartAction(ctx, { containers: inv.args, signal: inv.flags.string('signal'), timeout: inv.flags.has('timeout') ? inv.flags.number('timeout') : undefined }),
};

export const killCommand: CommandDef = {
  name: 'kill',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  aliasPaths: ['container kill', 'kill'],
  args: { min: 1 },
  flags: [signalFlag],
  run: (ctx, inv) => killAction(ctx, { containers: inv.args, signal: inv.flags.string('signal') }),
};

export const rmCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  aliasPaths: ['container rm', 'container remove', 'rm'],
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  run: (ctx, inv) => removeAction(ctx, { containers: inv.args, force: inv.flags.bool('force'), volumes: inv.flags.bool('volumes'), link: inv.flags.bool('link') }),
};

export const psCommand: CommandDef = {
  name: 'ls',
  aliases: ['list', 'ps'],
  use: '[OPTIONS]',
  short: 'List containers',
  aliasPaths: ['container ls', 'container list', 'container ps', 'ps'],
  common: true,
  args: { exact: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    filterFlag(true),
    tableFormatFlag,
    { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', default: -1, defaultText: '-1' },
    { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
  ],
  run: (ctx, inv) =>
    psAction(ctx, {
      all: inv.flags.bool('all'),
      quiet: inv.flags.bool('quiet'),
      size: inv.flags.bool('size'),
      sizeChanged: inv.flags.has('size'),
      last: inv.flags.number('last') ?? -1,
      latest: inv.flags.bool('latest'),
      noTrunc: inv.flags.bool('no-trunc'),
      filters: inv.flags.list('filter'),
      format: inv.flags.string('format'),
    }),
};

export const containerInspectCommand: CommandDef = {
  name: 'inspect',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  args: { min: 1 },
  flags: [plainFormatFlag, { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' }],
  run: (ctx, inv) => containerInspectAction(ctx, { names: inv.args, format: inv.flags.string('format'), size: inv.flags.bool('size') }),
};

export const logsCommand: CommandDef = {
  name: 'logs',
  use: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  aliasPaths: ['container logs', 'logs'],
  args: { exact: 1 },
  flags: [
    { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
    { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all', defaultText: '"all"' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
    { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  run: (ctx, inv) =>
    logsAction(ctx, {
      container: inv.args[0],
      follow: inv.flags.bool('follow'),
      since: inv.flags.string('since'),
      until: inv.flags.string('until'),
      timestamps: inv.flags.bool('timestamps'),
      tail: inv.flags.string('tail'),
      details: inv.flags.bool('details'),
    }),
};

export const topCommand: CommandDef = {
  name: 'top',
  use: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  aliasPaths: ['container top', 'top'],
  interspersed: false,
  args: { min: 1 },
  run: (ctx, inv) => topAction(ctx, { container: inv.args[0], psArgs: inv.args.slice(1) }),
};

export const attachCommand: CommandDef = {
  name: 'attach',
  use: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  aliasPaths: ['container attach', 'attach'],
  args: { exact: 1 },
  flags: [
    detachKeysFlag,
    { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', usage: 'Proxy all received signals to the process', default: true, defaultText: 'true' },
  ],
  run: (ctx, inv) =>
    attachAction(ctx, { container: inv.args[0], noStdin: inv.flags.bool('no-stdin'), sigProxy: inv.flags.bool('sig-proxy'), detachKeys: inv.flags.string('detach-keys') }),
};

export const renameCommand: CommandDef = {
  name: 'rename',
  use: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  aliasPaths: ['container rename', 'rename'],
  args: { exact: 2 },
  run: (ctx, inv) => renameAction(ctx, { oldName: inv.args[0], newName: inv.args[1] }),
};

export const waitCommand: CommandDef = {
  name: 'wait',
  use: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  aliasPaths: ['container wait', 'wait'],
  args: { min: 1 },
  run: (ctx, inv) => waitAction(ctx, { containers: inv.args }),
};

export const pauseCommand: CommandDef = {
  name: 'pause',
  use: 'CONTAINER [CONTAINER...]',
  short: 'Pause all processes within one or more containers',
  aliasPaths: ['container pause', 'pause'],
  args: { min: 1 },
  run: (ctx, inv) => pauseAction(ctx, { containers: inv.args }),
};

export const unpauseCommand: CommandDef = {
  name: 'unpause',
  use: 'CONTAINER [CONTAINER...]',
  short: 'Unpause all processes within one or more containers',
  aliasPaths: ['container unpause', 'unpause'],
  args: { min: 1 },
  run: (ctx, inv) => unpauseAction(ctx, { containers: inv.args }),
};

export const portCommand: CommandDef = {
  name: 'port',
  use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  aliasPaths: ['container port', 'port'],
  args: { min: 1, max: 2 },
  run: (ctx, inv) => portAction(ctx, { container: inv.args[0], port: inv.args[1] ?? '' }),
};

export const execCommand: CommandDef = {
  name: 'exec',
  use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  aliasPaths: ['container exec', 'exec'],
  common: true,
  interspersed: false,
  args: { min: 2 },
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
    detachKeysFlag,
    { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
    { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  ],
  run: (ctx, inv) =>
    execAction(ctx, {
      container: inv.args[0],
      command: inv.args.slice(1),
      detach: inv.flags.bool('detach'),
      detachKeys: inv.flags.string('detach-keys'),
      env: inv.flags.list('env'),
      envFiles: inv.flags.list('env-file'),
      interactive: inv.flags.bool('interactive'),
      privileged: inv.flags.bool('privileged'),
      tty: inv.flags.bool('tty'),
      user: inv.flags.string('user'),
      workdir: inv.flags.string('workdir'),
    }),
};

export const containerPruneCommand: CommandDef = {
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove all stopped containers',
  args: { exact: 0 },
  flags: [filterFlag(false, 'Provide filter values (e.g. "until=<timestamp>")'), { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' }],
  run: (ctx, inv) => containerPruneAction(ctx, { force: inv.flags.bool('force'), filters: inv.flags.list('filter') }),
};

export { updateCommand };
export { cpCommand, diffCommand, statsCommand, exportCommand, commitCommand };

export const containerGroup: GroupDef = {
  name: 'container',
  short: 'Manage containers',
  commands: [
    attachCommand,
    commitCommand,
    cpCommand,
    createCommand,
    diffCommand,
    execCommand,
    exportCommand,
    containerInspectCommand,
    killCommand,
    logsCommand,
    psCommand,
    pauseCommand,
    portCommand,
    containerPruneCommand,
    renameCommand,
    restartCommand,
    rmCommand,
    runCommand,
    startCommand,
    statsCommand,
    stopCommand,
    topCommand,
    unpauseCommand,
    updateCommand,
    waitCommand,
  ],
};
