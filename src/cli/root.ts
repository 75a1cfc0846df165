/**
 * The command table and the dispatcher: global flags, then a top-level command or a
 * management group and its subcommand, then the command's own flags and arguments.
 * Adding a command is adding it to a group or to `topLevel` — nothing else changes.
 */
import { DockerClient } from '../client/docker-client.js';
import { resolveHost } from '../client/host.js';
import { checkArgs, commandUsage, groupUsage, StatusError, type CliContext, type CommandDef, type GroupDef, type Streams } from './command.js';
import * as container from './commands/container.js';
import * as image from './commands/image.js';
import * as network from './commands/network.js';
import * as registry from './commands/registry.js';
import * as system from './commands/system.js';
import { FlagError, flagUsages, HelpRequested, parseFlags, type FlagSpec } from './flags.js';

export const PROGRAM = 'berth';

/** Management commands (`berth container ls`). */
export const groups: GroupDef[] = [container.containerGroup, image.imageGroup, network.networkGroup, system.systemGroup];

/** Top-level commands, under the name they have there (`ps` is `container ls`). */
export const topLevel: { name: string; command: CommandDef }[] = [
  { name: 'run', command: container.runCommand },
  { name: 'exec', command: container.execCommand },
  { name: 'ps', command: container.psCommand },
  { name: 'pull', command: image.pullCommand },
  { name: 'push', command: registry.pushCommand },
  { name: 'login', command: registry.loginCommand },
  { name: 'logout', command: registry.logoutCommand },
  { name: 'images', command: image.imagesCommand },
  { name: 'version', command: system.versionCommand },
  { name: 'info', command: system.infoCommand },
  { name: 'attach', command: container.attachCommand },
  { name: 'commit', command: container.commitCommand },
  { name: 'cp', command: container.cpCommand },
  { name: 'create', command: container.createCommand },
  { name: 'diff', command: container.diffCommand },
  { name: 'events', command: system.eventsCommand },
  { name: 'export', command: container.exportCommand },
  { name: 'history', command: image.historyCommand },
  { name: 'import', command: image.importCommand },
  { name: 'inspect', command: system.inspectCommand },
  { name: 'kill', command: container.killCommand },
  { name: 'load', command: image.loadCommand },
  { name: 'logs', command: container.logsCommand },
  { name: 'pause', command: container.pauseCommand },
  { name: 'port', command: container.portCommand },
  { name: 'rename', command: container.renameCommand },
  { name: 'restart', command: container.restartCommand },
  { name: 'rm', command: container.rmCommand },
  { name: 'rmi', command: image.rmiCommand },
  { name: 'save', command: image.saveCommand },
  { name: 'start', command: container.startCommand },
  { name: 'stats', command: container.statsCommand },
  { name: 'stop', command: container.stopCommand },
  { name: 'tag', command: image.tagCommand },
  { name: 'top', command: container.topCommand },
  { name: 'unpause', command: container.unpauseCommand },
  { name: 'update', command: container.updateCommand },
  { name: 'wait', command: container.waitCommand },
];

export const globalFlags: FlagSpec[] = [
  { name: 'config', kind: 'string', usage: 'Location of client config files', hidden: true },
  { name: 'context', short: 'c', kind: 'string', usage: 'Name of the context to use to connect to the daemon (overrides BERTH_HOST and DOCKER_HOST env vars)', hidden: true },
  { name: 'debug', short: 'D', kind: 'bool', usage: 'Enable debug mode' },
  { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', kind: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info', defaultText: '"info"' },
  { name: 'tls', kind: 'bool', usage: 'Use TLS; implied by --tlsverify', hidden: true },
  { name: 'tlscacert', kind: 'string', usage: 'Trust certs signed only by this CA', hidden: true },
  { name: 'tlscert', kind: 'string', usage: 'Path to TLS certificate file', hidden: true },
  { name: 'tlskey', kind: 'string', usage: 'Path to TLS key file', hidden: true },
  { name: 'tlsverify', kind: 'bool', usage: 'Use TLS and verify the remote', hidden: true },
  { name: 'version', short: 'v', kind: 'bool', usage: 'Print version information and quit' },
];

function rootUsage(): string {
  const pad = (s: string): string => s.padEnd(12);
  const common = topLevel.filter((t) => t.command.common);
  const others = topLevel.filter((t) => !t.command.common).sort((a, b) => (a.name < b.name ? -1 : 1));
  let s = `Usage:  ${PROGRAM} [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\nCommon Commands:\n`;
  s += common.map((t) => `  ${pad(t.name)}${t.command.short}\n`).join('');
  s += '\nManagement Commands:\n';
  s += groups.map((g) => `  ${pad(g.name)}${g.short}\n`).join('');
  s += '\nCommands:\n';
  s += others.map((t) => `  ${pad(t.name)}${t.command.short}\n`).join('');
  s += `\nGlobal Options:\n${flagUsages(globalFlags).replace(/\s+$/, '')}\n`;
  s += `\nRun '${PROGRAM} COMMAND --help' for more information on a command.\n`;
  return s;
}

export interface MainOptions {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Builds the API client (tests substitute a fake). */
  makeClient?: (host: string) => DockerClient;
}

/** Resolves `argv` (without node and the script) to a command and the path it was called by. */
function resolve(args: string[]): { command: CommandDef; path: string; rest: string[] } | { group: GroupDef; path: string; rest: string[] } | { unknown: string } | { root: true } {
  if (args.length === 0) return { root: true };
  const [first, ...rest] = args;
  const group = groups.find((g) => g.name === first);
  if (group) {
    const sub = rest[0];
    if (sub === undefined || sub.startsWith('-')) return { group, path: `${PROGRAM} ${group.name}`, rest };
    const cmd = group.commands.find((c) => c.name === sub || (c.aliases ?? []).includes(sub));
    if (!cmd) return { group, path: `${PROGRAM} ${group.name}`, rest };
    return { command: cmd, path: `${PROGRAM} ${group.name} ${sub}`, rest: rest.slice(1) };
  }
  const top = topLevel.find((t) => t.name === first);
  if (top) return { command: top.command, path: `${PROGRAM} ${first}`, rest };
  return { unknown: first };
}

/** Runs the CLI; returns the exit status. Every failure is printed here, once. */
export async function main(argv: string[], o: MainOptions): Promise<number> {
  const { streams } = o;
  const write = (s: string): void => void streams.err.write(s.endsWith('\n') ? s : `${s}\n`);
  let debug = false;
  try {
    let g;
    try {
      g = parseFlags(globalFlags, argv, { interspersed: false });
    } catch (e) {
      if (e instanceof HelpRequested) {
        streams.out.write(rootUsage());
        return 0;
      }
      if (e instanceof FlagError) throw new StatusError(125, `${e.message}\n\nUsage:  ${PROGRAM} [OPTIONS] COMMAND\n\nRun '${PROGRAM} --help' for more information`);
      throw e;
    }
    debug = g.bool('debug');
    if (g.bool('version')) {
      const { clientVersionString } = await import('./version.js');
      streams.out.write(`${PROGRAM} version ${clientVersionString()}\n`);
      return 0;
    }
    const hosts = g.list('host');
    if (hosts.length > 1) throw new StatusError(1, 'Specify only one -H');
    const host = resolveHost(hosts[0], o.env);
    let client: DockerClient | undefined;
    const ctx: CliContext = {
      program: PROGRAM,
      streams,
      env: o.env,
      debug,
      now: o.now ?? (() => new Date()),
      client: () => (client ??= o.makeClient ? o.makeClient(host) : new DockerClient({ host })),
    };

    const r = resolve(g.args);
    if ('root' in r) {
      streams.out.write(rootUsage());
      return 0;
    }
    if ('unknown' in r) {
      throw new StatusError(1, `${PROGRAM}: unknown command: ${PROGRAM} ${r.unknown}\n\nRun '${PROGRAM} --help' for more information`);
    }
    if ('group' in r) {
      const sub = r.rest[0];
      if (sub === undefined || sub === '--help' || sub === '-h') {
        streams.out.write(groupUsage(PROGRAM, r.group));
        return 0;
      }
      if (sub.startsWith('-')) {
        throw new StatusError(125, `unknown flag: ${sub.split('=')[0]}\n\nUsage:  ${r.path} COMMAND\n\nRun '${r.path} --help' for more information`);
      }
      throw new StatusError(1, `${PROGRAM}: unknown command: ${r.path} ${sub}\n\nUsage:  ${r.path}\n\nRun '${r.path} --help' for more information`);
    }

    const { command, path, rest } = r;
    let args: string[];
    let flags;
    try {
      if (command.rawArgs) {
        if (rest.includes('--help')) throw new HelpRequested();
        flags = parseFlags([], [], {});
        args = rest;
      } else {
        flags = parseFlags(command.flags ?? [], rest, { interspersed: command.interspersed ?? true });
        if ((command.flags ?? []).some((f) => f.name === 'help') && flags.bool('help')) throw new HelpRequested();
        args = flags.args;
      }
    } catch (e) {
      if (e instanceof HelpRequested) {
        streams.out.write(commandUsage(PROGRAM, path, command));
        return 0;
      }
      if (e instanceof FlagError) {
        throw new StatusError(125, `${e.message}\n\nUsage:  ${path} ${command.use}\n\nRun '${path} --help' for more information`);
      }
      throw e;
    }
    checkArgs(PROGRAM, path, command, args);
    const status = await command.run(ctx, { path, command, flags, args });
    return typeof status === 'number' ? status : 0;
  } catch (e) {
    if (e instanceof StatusError) {
      if (e.message) write(e.message);
      return e.status;
    }
    const msg = e instanceof Error ? e.message : String(e);
    write(msg);
    if (debug && e instanceof Error && e.stack) write(e.stack);
    return 1;
  }
}
