/**
 * The command model: a command is a flag table, an argument rule and an action; a
 * group (`container`, `image`, `system`) is a named list of commands. The same command
 * object can be registered in several places (`berth container run` and `berth run`),
 * as docker's aliases are.
 */
import type { Readable, Writable } from 'node:stream';
import type { DockerClient } from '../client/docker-client.js';
import { flagUsages, type FlagSpec, type ParsedFlags } from './flags.js';

/** The process's standard streams, as the CLI uses them (fakes in tests). */
export interface Streams {
  out: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  err: Writable & { isTTY?: boolean };
  in: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

/** What an action gets besides its options. */
export interface CliContext {
  /** The binary's name: "berth". */
  program: string;
  streams: Streams;
  /** The API client (made on first use, so `--help` never needs a daemon). */
  client(): DockerClient;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  now(): Date;
}

export interface Invocation {
  /** How the command was called: "berth container run" or "berth run". */
  path: string;
  command: CommandDef;
  flags: ParsedFlags;
  args: string[];
}

export interface ArgRule {
  min?: number;
  max?: number;
  exact?: number;
}

export interface CommandDef {
  name: string;
  /** Other names in the same group (`ls` → `list`, `ps`). */
  aliases?: string[];
  /** The usage line after the command path: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  use: string;
  short: string;
  flags?: FlagSpec[];
  /** False for run/create/exec: flags after the first argument belong to the container. */
  interspersed?: boolean;
  args?: ArgRule;
  /** Paths under which docker lists the command ("container run", "run"), for usage. */
  aliasPaths?: string[];
  /** Skip flag parsing (commands not implemented yet); `--help` still works. */
  rawArgs?: boolean;
  /** Shown under "Common Commands" in the root usage. */
  common?: boolean;
  run(ctx: CliContext, inv: Invocation): Promise<number | void>;
}

export interface GroupDef {
  name: string;
  short: string;
  commands: CommandDef[];
}

/**
 * A failure with an exit status and a message already worded for the user
 * (docker's cli.StatusError). An empty message prints nothing.
 */
export class StatusError extends Error {
  constructor(
    readonly status: number,
    message = '',
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

export function useLine(path: string, cmd: CommandDef): string {
  return cmd.use ? `${path} ${cmd.use}` : path;
}

/** The usage text docker prints for `--help` (its cobra usage template). */
export function commandUsage(program: string, path: string, cmd: CommandDef): string {
  let s = `Usage:  ${useLine(path, cmd)}\n\n${cmd.short}\n`;
  if (cmd.aliasPaths && cmd.aliasPaths.length > 1) {
    s += `\nAliases:\n  ${cmd.aliasPaths.map((p) => `${program} ${p}`).join(', ')}\n`;
  }
  const flags = cmd.flags ?? [];
  if (flags.some((f) => !f.hidden)) {
    s += `\nOptions:\n${flagUsages(flags).replace(/\s+$/, '')}\n`;
  }
  return s;
}

export function groupUsage(program: string, group: GroupDef): string {
  const pad = Math.max(11, ...group.commands.map((c) => c.name.length));
  const lines = [...group.commands]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((c) => `  ${c.name.padEnd(pad)} ${c.short}`)
    .join('\n');
  return `Usage:  ${program} ${group.name} COMMAND\n\n${group.short}\n\nCommands:\n${lines}\n\nRun '${program} ${group.name} COMMAND --help' for more information on a command.\n`;
}

function pluralize(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

/** Checks the number of positional arguments, with docker's messages (exit 1). */
export function checkArgs(program: string, path: string, cmd: CommandDef, args: string[]): void {
  const rule = cmd.args;
  if (!rule) return;
  const usage = `\n\nUsage:  ${useLine(path, cmd)}\n\n`;
  if (rule.exact !== undefined && args.length !== rule.exact) {
    if (rule.exact === 0) {
      throw new StatusError(1, `${program}: '${path}' accepts no arguments${usage}Run '${path} --help' for more information`);
    }
    throw new StatusError(1, `${program}: '${path}' requires ${rule.exact} ${pluralize('argument', rule.exact)}${usage}Run '${path} --help' for more information`);
  }
  if (rule.min !== undefined && rule.max !== undefined && (args.length < rule.min || args.length > rule.max)) {
    throw new StatusError(
      1,
      `${program}: '${path}' requires at least ${rule.min} and at most ${rule.max} ${pluralize('argument', rule.max)}${usage}Run '${path} --help' for more information`,
    );
  }
  if (rule.min !== undefined && args.length < rule.min) {
    throw new StatusError(1, `${program}: '${path}' requires at least ${rule.min} ${pluralize('argument', rule.min)}${usage}See '${path} --help' for more information`);
  }
  if (rule.max !== undefined && args.length > rule.max) {
    throw new StatusError(1, `${program}: '${path}' requires at most ${rule.max} ${pluralize('argument', rule.max)}${usage}Run '${path} --help' for more information`);
  }
}

/** A placeholder action for commands berth has not implemented yet. */
export function notImplemented(name: string): CommandDef['run'] {
  return async (ctx) => {
    throw new StatusError(1, `${ctx.program}: '${name}' is not implemented yet`);
  };
}
