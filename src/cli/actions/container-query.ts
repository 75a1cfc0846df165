/** Read-only container commands: ps, inspect, logs, top, port. */
import { parseFilterArgs } from '../../client/docker-client.js';
import { copyDemultiplexed } from '../../client/stdcopy.js';
import { TabWriter } from '../../lib/tabwriter.js';
import { StatusError, type CliContext } from '../command.js';
import { containerFormat, formatContainers } from '../format/container-format.js';
import { printInspected } from './inspect.js';
import { out } from './common.js';

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  size: boolean;
  sizeChanged: boolean;
  last: number;
  latest: boolean;
  noTrunc: boolean;
  filters: string[];
  format: string;
}

export async function psAction(ctx: CliContext, o: PsOptions): Promise<void> {
  const filters = parseFilterArgs(o.filters);
  let limit = o.last;
  if (o.latest && limit === -1) limit = 1;
  // A template that shows .Size needs the daemon to compute sizes (docker #24696).
  const size = o.size || (!o.quiet && !o.sizeChanged && o.format !== '' && o.format.includes('.Size'));
  const list = await ctx.client().containerList({ all: o.all, limit, size, filters });
  const format = containerFormat(o.format, o.quiet, size);
  out(ctx, formatContainers(list, { format, trunc: !o.noTrunc, now: ctx.now() }));
}

export async function containerInspectAction(ctx: CliContext, o: { names: string[]; format: string; size: boolean }): Promise<void> {
  const client = ctx.client();
  await printInspected(ctx, o.names, o.format, async (n) => client.containerInspect(n, { size: o.size }));
}

export interface LogsOptions {
  container: string;
  follow: boolean;
  since: string;
  until: string;
  timestamps: boolean;
  tail: string;
  details: boolean;
}

/** docker's runLogs: a TTY container's log is raw; otherwise it is multiplexed. */
export async function logsAction(ctx: CliContext, o: LogsOptions): Promise<void> {
  const client = ctx.client();
  const c = await client.containerInspect(o.container);
  const res = await client.containerLogs(c.Id, {
    follow: o.follow,
    since: o.since,
    until: o.until,
    timestamps: o.timestamps,
    tail: o.tail,
    details: o.details,
  });
  if (c.Config.Tty) {
    for await (const chunk of res) ctx.streams.out.write(chunk as Buffer);
  } else {
    await copyDemultiplexed(res as AsyncIterable<Buffer>, ctx.streams.out, ctx.streams.err);
  }
}

export async function topAction(ctx: CliContext, o: { container: string; psArgs: string[] }): Promise<void> {
  const top = await ctx.client().containerTop(o.container, o.psArgs.join(' '));
  const tw = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 3, padChar: ' ', width: 'display' });
  tw.write(`${(top.Titles ?? []).join('\t')}\n`);
  for (const p of top.Processes ?? []) tw.write(`${p.join('\t')}\n`);
  out(ctx, tw.flush());
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Natural order ("80/tcp" before "443/tcp"), as docker sorts port lines. */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export async function portAction(ctx: CliContext, o: { container: string; port: string }): Promise<void> {
  const c = await ctx.client().containerInspect(o.container);
  const ports = ((c.NetworkSettings as { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> } | undefined)?.Ports ?? {}) as Record<
    string,
    { HostIp: string; HostPort: string }[] | null
  >;
  const lines: string[] = [];
  if (o.port) {
    const [port, protoRaw] = o.port.split('/');
    const proto = protoRaw || 'tcp';
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new StatusError(1, `Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`);
    }
    const frontends = ports[`${port}/${proto}`];
    if (!frontends || frontends.length === 0) throw new StatusError(1, `Error: No public port '${o.port}' published for ${o.container}`);
    for (const f of frontends) lines.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) {
      for (const f of frontends ?? []) lines.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  if (lines.length) out(ctx, `${lines.sort(naturalLess).join('\n')}\n`);
}
