/** Flags several commands share, worded as docker words them. */
import type { FlagSpec } from '../flags.js';

const formatHelpTable =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const formatHelpPlain =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/** `--format` for list commands (table, json or a template). */
export const tableFormatFlag: FlagSpec = { name: 'format', kind: 'string', usage: formatHelpTable };

/** `-f, --format` for inspect, version and info. */
export const plainFormatFlag: FlagSpec = { name: 'format', short: 'f', kind: 'string', usage: formatHelpPlain };

/** `-f, --filter` values must be key=value (docker's filter option type). */
export function filterFlag(short: boolean, usage = 'Filter output based on conditions provided'): FlagSpec {
  return {
    name: 'filter',
    short: short ? 'f' : undefined,
    kind: 'list',
    typeName: 'filter',
    usage,
    validate: (v) => (v.indexOf('=') > 0 ? undefined : 'bad format of filter (expected name=value)'),
  };
}

export const detachKeysFlag: FlagSpec = { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' };
