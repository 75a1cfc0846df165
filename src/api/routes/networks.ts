import type { Router } from '../router.js';
import { boolParam, filtersParam } from '../router.js';
import { InvalidParameterError } from '../../lib/errors.js';

/** What the network routes need of the engine. */
export interface NetworkBackend {
  list(filters: Map<string, string[]>): Record<string, unknown>[];
  inspect(ref: string): Record<string, unknown>;
  get(ref: string): { Id: string; Name: string };
  create(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  prune(filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] }>;
}

/** What connect/disconnect need of the containers engine (the container's lock and record). */
export interface ContainerNetworking {
  connectNetwork(container: string, network: string, config: Record<string, unknown> | undefined): Promise<void>;
  disconnectNetwork(container: string, network: string, force: boolean): Promise<void>;
}

export function networkRoutes(r: Router, networks: NetworkBackend, containers: ContainerNetworking): void {
  // NetworkList
  r.add('GET', '/networks', 'NetworkList', async (ctx) => {
    ctx.send(200, networks.list(filtersParam(ctx.query)));
  });

  // NetworkInspect
  r.add('GET', '/networks/:id', 'NetworkInspect', async (ctx) => {
    boolParam(ctx.query, 'verbose');
    ctx.send(200, networks.inspect(ctx.params.id));
  });

  // NetworkCreate
  r.add('POST', '/networks/create', 'NetworkCreate', async (ctx) => {
    const body = await ctx.json<Record<string, unknown>>();
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('network name cannot be empty');
    ctx.send(201, await networks.create(body));
  });

  // NetworkDelete
  r.add('DELETE', '/networks/:id', 'NetworkDelete', async (ctx) => {
    await networks.remove(ctx.params.id);
    ctx.send(204);
  });

  // NetworkPrune
  r.add('POST', '/networks/prune', 'NetworkPrune', async (ctx) => {
    ctx.send(200, await networks.prune(filtersParam(ctx.query)));
  });

  // NetworkConnect
  r.add('POST', '/networks/:id/connect', 'NetworkConnect', async (ctx) => {
    const body = (await ctx.json<{ Container?: string; EndpointConfig?: Record<string, unknown> }>()) ?? {};
    const nw = networks.get(ctx.params.id);
    if (!body.Container) throw new InvalidParameterError('no container specified');
    await containers.connectNetwork(body.Container, nw.Id, body.EndpointConfig ?? undefined);
    ctx.send(200);
  });

  // NetworkDisconnect
  r.add('POST', '/networks/:id/disconnect', 'NetworkDisconnect', async (ctx) => {
    const body = (await ctx.json<{ Container?: string; Force?: boolean }>()) ?? {};
    if (!body.Container) throw new InvalidParameterError('no container specified');
    let ref = ctx.params.id;
    try {
      ref = networks.get(ref).Id;
    } catch (err) {
      if (!body.Force) throw err;
    }
    await containers.disconnectNetwork(body.Container, ref, Boolean(body.Force));
    ctx.send(200);
  });
}
