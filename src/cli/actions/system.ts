/** `version` and `info`, laid out like docker's. */
import { CLIENT_API_VERSION } from '../../client/docker-client.js';
import type { SystemInfo, SystemVersion } from '../../client/types.js';
import { bytesSize } from '../../lib/human.js';
import { TabWriter } from '../../lib/tabwriter.js';
import { StatusError, type CliContext } from '../command.js';
import { renderOne } from '../format/formatter.js';
import { err, errorText, out } from './common.js';
import { clientVersionString } from '../version.js';

export { clientVersionString };

export interface ClientVersion {
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
  Context: string;
}

export function clientVersion(): ClientVersion {
  return {
    Version: clientVersionString(),
    ApiVersion: CLIENT_API_VERSION,
    DefaultAPIVersion: CLIENT_API_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: goArch(process.arch),
    Context: 'default',
  };
}

/** Node's arch names as Go spells them (x64 → amd64). */
export function goArch(a: string): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[a] ?? a;
}

/** The Engine component docker shows even when the daemon lists none. */
function engineComponent(sv: SystemVersion): { Name: string; Version: string; Details: Record<string, string> } {
  return {
    Name: 'Engine',
    Version: sv.Version ?? '',
    Details: {
      ApiVersion: sv.ApiVersion ?? '',
      MinAPIVersion: sv.MinAPIVersion ?? '',
      GitCommit: sv.GitCommit ?? '',
      GoVersion: sv.GoVersion ?? '',
      Os: sv.Os ?? '',
      Arch: sv.Arch ?? '',
      BuildTime: sv.BuildTime ?? '',
      Experimental: String(sv.Experimental ?? false),
    },
  };
}

/** The default `version` text (docker's template through a 20-column tabwriter). */
export function renderVersion(client: ClientVersion, server: SystemVersion | undefined): string {
  let s = 'Client:\n';
  s += ` Version:\t${client.Version}\n`;
  s += ` API version:\t${client.ApiVersion}${client.ApiVersion !== client.DefaultAPIVersion ? ` (downgraded from ${client.DefaultAPIVersion})` : ''}\n`;
  s += ` Node version:\t${client.NodeVersion}\n`;
  s += ` OS/Arch:\t${client.Os}/${client.Arch}\n`;
  s += ` Context:\t${client.Context}`;
  if (server) {
    s += `\n\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}`;
    const components = [...(server.Components ?? [])];
    if (!components.some((c) => c.Name === 'Engine')) components.push(engineComponent(server));
    for (const c of components) {
      s += `\n ${c.Name}:`;
      const d = c.Details ?? {};
      if (c.Name === 'Engine') {
        s += `\n  Version:\t${c.Version}`;
        s += `\n  API version:\t${d.ApiVersion ?? server.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? server.MinAPIVersion ?? ''})`;
        if (d.GoVersion) s += `\n  Go version:\t${d.GoVersion}`;
        if (d.NodeVersion) s += `\n  Node version:\t${d.NodeVersion}`;
        s += `\n  Git commit:\t${d.GitCommit ?? ''}`;
        s += `\n  Built:\t${d.BuildTime ?? ''}`;
        s += `\n  OS/Arch:\t${d.Os ?? server.Os ?? ''}/${d.Arch ?? server.Arch ?? ''}`;
        s += `\n  Experimental:\t${d.Experimental ?? 'false'}`;
      } else {
        s += `\n  Version:\t${c.Version}`;
        for (const k of Object.keys(d).sort()) s += `\n  ${k}:\t${d[k]}`;
      }
    }
  }
  const tw = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 1, padChar: ' ', width: 'display' });
  tw.write(s + '\n');
  return tw.flush();
}

export async function versionAction(ctx: CliContext, o: { format: string }): Promise<void> {
  const client = clientVersion();
  let server: SystemVersion | undefined;
  let failure: unknown;
  try {
    server = await ctx.client().version();
    if (server && !(server.Components ?? []).some((c) => c.Name === 'Engine')) {
      server = { ...server, Components: [...(server.Components ?? []), engineComponent(server)] };
    }
  } catch (e) {
    failure = e;
  }
  if (o.format) {
    const f = o.format === 'json' ? '{{json .}}' : o.format;
    out(ctx, renderOne(f, { Client: client, Server: server ?? null }) + '\n');
  } else {
    out(ctx, renderVersion(client, server));
  }
  if (failure) throw new StatusError(1, errorText(failure));
}

function line(label: string, value: unknown): string {
  return `${label} ${value}\n`;
}

function lineNonEmpty(label: string, value: unknown): string {
  return value === undefined || value === null || value === '' ? '' : line(label, value);
}

/** docker's prettyPrintServerInfo, for the fields berthd reports. */
export function renderInfo(info: SystemInfo, client: ClientVersion, debug: boolean): { out: string; warnings: string[] } {
  let s = 'Client:\n';
  s += ` Version:    ${client.Version}\n`;
  s += ` Context:    ${client.Context}\n`;
  s += ` Debug Mode: ${debug}\n`;
  s += '\nServer:\n';
  s += line(' Containers:', info.Containers ?? 0);
  s += line('  Running:', info.ContainersRunning ?? 0);
  s += line('  Paused:', info.ContainersPaused ?? 0);
  s += line('  Stopped:', info.ContainersStopped ?? 0);
  s += line(' Images:', info.Images ?? 0);
  s += lineNonEmpty(' Server Version:', info.ServerVersion);
  s += lineNonEmpty(' Storage Driver:', info.Driver);
  for (const pair of (info.DriverStatus ?? []) as [string, string][]) s += `  ${pair[0]}: ${pair[1]}\n`;
  for (const pair of (info.SystemStatus ?? []) as [string, string][]) s += ` ${pair[0]}: ${pair[1]}\n`;
  s += lineNonEmpty(' Logging Driver:', info.LoggingDriver);
  s += lineNonEmpty(' Cgroup Driver:', info.CgroupDriver);
  s += lineNonEmpty(' Cgroup Version:', info.CgroupVersion);
  const plugins = (info.Plugins ?? {}) as Record<string, string[] | null>;
  s += ' Plugins:\n';
  s += line('  Volume:', (plugins.Volume ?? []).join(' '));
  s += line('  Network:', (plugins.Network ?? []).join(' '));
  if ((plugins.Authorization ?? []).length) s += line('  Authorization:', (plugins.Authorization ?? []).join(' '));
  s += line('  Log:', (plugins.Log ?? []).join(' '));
  s += line(' Swarm:', info.Swarm?.LocalNodeState ?? 'inactive');
  const runtimes = Object.keys(info.Runtimes ?? {}).sort();
  if (runtimes.length) {
    s += line(' Runtimes:', runtimes.join(' '));
    s += line(' Default Runtime:', info.DefaultRuntime ?? '');
  }
  if (info.OSType === 'linux') {
    s += line(' Init Binary:', info.InitBinary ?? '');
    s += line(' containerd version:', info.ContainerdCommit?.ID ?? '');
    s += line(' runc version:', info.RuncCommit?.ID ?? '');
    s += line(' init version:', info.InitCommit?.ID ?? '');
    const secOpts = (info.SecurityOptions ?? []) as string[];
    if (secOpts.length) {
      s += ' Security Options:\n';
      for (const so of secOpts) {
        const fields = Object.fromEntries(so.split(',').map((kv) => kv.split('=') as [string, string]));
        if (fields.name) s += `  ${fields.name}\n`;
        if (fields.profile) s += `   Profile: ${fields.profile}\n`;
      }
    }
  }
  s += lineNonEmpty(' Kernel Version:', info.KernelVersion);
  s += lineNonEmpty(' Operating System:', info.OperatingSystem);
  s += lineNonEmpty(' OSType:', info.OSType);
  s += lineNonEmpty(' Architecture:', info.Architecture);
  s += line(' CPUs:', info.NCPU ?? 0);
  s += line(' Total Memory:', bytesSize(info.MemTotal ?? 0));
  s += lineNonEmpty(' Name:', info.Name);
  s += lineNonEmpty(' ID:', info.ID);
  s += line(' Docker Root Dir:', info.DockerRootDir ?? '');
  s += line(' Debug Mode:', info.Debug ?? false);
  if (info.Debug || debug) {
    s += line('  File Descriptors:', info.NFd ?? 0);
    s += line('  Goroutines:', info.NGoroutines ?? 0);
    s += line('  System Time:', info.SystemTime ?? '');
    s += line('  EventsListeners:', info.NEventsListener ?? 0);
  }
  s += lineNonEmpty(' HTTP Proxy:', info.HttpProxy);
  s += lineNonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  s += lineNonEmpty(' No Proxy:', info.NoProxy);
  const labels = (info.Labels ?? []) as string[];
  if (labels.length) s += ' Labels:\n' + labels.map((l) => `  ${l}\n`).join('');
  s += line(' Experimental:', info.ExperimentalBuild ?? false);
  s += line(' Live Restore Enabled:', info.LiveRestoreEnabled ?? false);
  s += '\n';
  return { out: s, warnings: (info.Warnings ?? []) as string[] };
}

export async function infoAction(ctx: CliContext, o: { format: string }): Promise<void> {
  const client = clientVersion();
  let info: SystemInfo | undefined;
  let failure: unknown;
  try {
    info = await ctx.client().info();
  } catch (e) {
    failure = e;
  }
  if (o.format) {
    const f = o.format === 'json' ? '{{json .}}' : o.format;
    const data = {
      ...(info ?? {}),
      ClientInfo: { Debug: ctx.debug, Version: client.Version, Context: client.Context, Plugins: [], Warnings: null },
      ServerErrors: failure ? [errorText(failure)] : null,
    };
    out(ctx, renderOne(f, data) + '\n');
    if (failure) throw new StatusError(1, errorText(failure));
    return;
  }
  if (!info) {
    out(ctx, `Client:\n Version:    ${client.Version}\n Context:    ${client.Context}\n Debug Mode: ${ctx.debug}\n\nServer:\n`);
    err(ctx, `ERROR: ${errorText(failure)}\n`);
    throw new StatusError(1, 'errors pretty printing info');
  }
  const r = renderInfo(info, client, ctx.debug);
  out(ctx, r.out);
  for (const w of r.warnings) err(ctx, `${w}\n`);
}
