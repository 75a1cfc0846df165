import type { Router } from '../router.js';
import { intParam } from '../router.js';
import { compareVersions } from '../server.js';
import { outputWriter } from '../stream.js';
import type { ContainerExecs, ExecCreateRequest, ExecStartRequest } from '../../engine/containers/container-exec.js';
import { InvalidParameterError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

/** The exec routes (moby's router/container/exec.go). */
export function execRoutes(r: Router, execs: ContainerExecs): void {
  // ContainerExec
  r.add('POST', '/containers/:id/exec', 'ContainerExec', async (ctx) => {
    const body = await ctx.json<ExecCreateRequest>();
    if (body === undefined) throw new InvalidParameterError('No exec command specified');
    if (compareVersions(ctx.apiVersion, '1.42') < 0) body.ConsoleSize = null;
    ctx.send(201, await execs.create(ctx.params.id, body));
  });

  // ExecStart: hijacked unless detached; a failure to start goes down the stream once hijacked.
  r.add('POST', '/exec/:id/start', 'ExecStart', async (ctx) => {
    const body = (await ctx.json<ExecStartRequest>()) ?? {};
    if (compareVersions(ctx.apiVersion, '1.42') < 0 || !body.Tty) body.ConsoleSize = null;
    execs.checkStartable(ctx.params.id);
    if (body.Detach) {
      await execs.start(ctx.params.id, body);
      ctx.send(200);
      return;
    }
    const tty = !!body.Tty;
    const multiplexed = !tty && compareVersions(ctx.apiVersion, '1.42') >= 0;
    const sock = ctx.hijack(multiplexed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream');
    // Hold the client's input until the process is attached, or it would be dropped.
    sock.pause();
    const write = outputWriter(sock, tty);
    try {
      await execs.start(ctx.params.id, body, { client: sock, write });
    } catch (err) {
      log.debug('exec start failed', { exec: ctx.params.id, err: errorMessage(err) });
      if (!sock.writableEnded) {
        write(1, Buffer.from(`${errorMessage(err)}\r\n`));
        sock.end();
      }
      return;
    }
    if (!sock.writableEnded) sock.end();
  });

  // ExecResize
  r.add('POST', '/exec/:id/resize', 'ExecResize', async (ctx) => {
    await execs.resize(ctx.params.id, intParam(ctx.query, 'h') ?? 0, intParam(ctx.query, 'w') ?? 0);
    ctx.send(200);
  });

  // ExecInspect
  r.add('GET', '/exec/:id/json', 'ExecInspect', async (ctx) => {
    ctx.send(200, execs.inspect(ctx.params.id));
  });
}
