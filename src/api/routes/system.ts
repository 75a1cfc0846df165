import type { Router } from '../router.js';
import { API_VERSION, MIN_API_VERSION } from '../server.js';

/** What the system routes need of the engine. */
export interface SystemBackend {
  info(): Promise<Record<string, unknown>>;
  version(): Record<string, unknown>;
}

export function systemRoutes(r: Router, sys: SystemBackend): void {
  // SystemPing
  const ping = async (ctx: Parameters<Parameters<Router['add']>[3]>[0]): Promise<void> => {
    const res = ctx.res!;
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    if (ctx.req.method === 'HEAD') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' });
      res.end();
      return;
    }
    ctx.send(200, 'OK');
  };
  r.add('GET', '/_ping', 'SystemPing', ping);
  r.add('HEAD', '/_ping', 'SystemPingHead', ping);
  // SystemVersion
  r.add('GET', '/version', 'SystemVersion', async (ctx) => ctx.send(200, sys.version()));
  // SystemInfo
  r.add('GET', '/info', 'SystemInfo', async (ctx) => ctx.send(200, await sys.info()));
}

export { API_VERSION, MIN_API_VERSION };
