/**
 * The CLI end to end against a fake daemon on a unix socket: the real client, the
 * real dispatcher, fixed answers. Checks the wiring, the run flow and docker's
 * messages and exit codes without needing berthd.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { encodeFrame } from '../../src/client/stdcopy.js';
import { main } from '../../src/cli/root.js';

const ID = 'c0ffee'.padEnd(64, '0');
interface Call {
  method: string;
  url: string;
  body: any;
}

let dir: string;
let socket: string;
let server: http.Server;
const calls: Call[] = [];

function reply(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const t = Buffer.concat(chunks).toString();
  return t ? JSON.parse(t) : undefined;
}

before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-main-'));
  socket = path.join(dir, 'fake.sock');
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    calls.push({ method: req.method ?? '', url: url.pathname + url.search, body });
    const p = url.pathname.replace(/^\/v1\.45/, '');
    if (p === '/containers/create') {
      if (body.Image === 'nosuch') return reply(res, 404, { message: 'No such image: nosuch:latest' });
      if (body.Image === 'badcmd') return reply(res, 201, { Id: 'b'.repeat(64), Warnings: [] });
      return reply(res, 201, { Id: ID, Warnings: [] });
    }
    if (p === '/images/create') return reply(res, 501, { message: 'pulling images is not supported yet' });
    if (p.endsWith('/start')) {
      if (p.includes('bbbb')) return reply(res, 400, { message: 'failed to create task: exec: "nope": executable file not found in $PATH' });
      return reply(res, 204);
    }
    if (p.endsWith('/wait')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end(JSON.stringify({ StatusCode: 3 })), 50);
      return;
    }
    if (p.endsWith('/stop')) {
      if (p.includes('missing')) return reply(res, 404, { message: 'No such container: missing' });
      return reply(res, 204);
    }
    if (p === '/containers/json') {
      return reply(res, 200, [
        { Id: ID, Names: ['/web'], Image: 'busybox', ImageID: 'sha256:1', Command: 'sleep 100', Created: 0, Ports: [], Labels: {}, State: 'running', Status: 'Up 2 minutes' },
      ]);
    }
    if (p === `/containers/${ID}/json` || p === '/containers/web/json') {
      return reply(res, 200, { Id: ID, Name: '/web', Config: { Tty: false, Image: 'busybox' }, State: { Running: false, ExitCode: 0 } });
    }
    if (p.startsWith('/containers/') && p.endsWith('/json')) return reply(res, 404, { message: `No such container: ${p.split('/')[2]}` });
    if (p.startsWith('/images/') && p.endsWith('/json')) return reply(res, 404, { message: `No such image: ${p.split('/')[2]}` });
    reply(res, 404, { message: 'page not found' });
  });
  // Hijacked attach: 101, then the container's output (multiplexed), then close.
  server.on('upgrade', (req, sock) => {
    calls.push({ method: req.method ?? '', url: req.url ?? '', body: undefined });
    // The client may hang up first (a failed start closes the attach).
    sock.on('error', () => undefined);
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    setTimeout(() => {
      sock.write(Buffer.concat([encodeFrame(1, 'hi\n'), encodeFrame(2, 'oops\n')]));
      sock.end();
    }, 100);
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await fsp.rm(dir, { recursive: true, force: true });
});

async function berth(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const input = new PassThrough();
  input.end();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(args, { streams: { out, err, in: input }, env: { BERTH_HOST: `unix://${socket}`, ...env }, now: () => new Date(120_000) });
  return { code, stdout, stderr };
}

describe('berth CLI against a fake daemon', () => {
  it('runs a container: attach before start, output demultiplexed, exit code from wait', async () => {
    calls.length = 0;
    const r = await berth(['run', '--rm', 'busybox', 'echo', 'hi']);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.code, 3);
    const order = calls.map((c) => c.method + ' ' + c.url.replace(/\?.*/, ''));
    const iCreate = order.indexOf('POST /v1.45/containers/create');
    const iAttach = order.findIndex((c) => c.includes('/attach'));
    const iWait = order.findIndex((c) => c.includes('/wait'));
    const iStart = order.findIndex((c) => c.includes('/start'));
    assert.ok(iCreate < iAttach && iAttach < iStart && iWait < iStart, order.join(', '));
    assert.match(calls[iWait].url, /condition=removed/);
    assert.match(calls[iAttach].url, /stream=1&stdout=1&stderr=1/);
    assert.deepEqual(calls[iCreate].body.Cmd, ['echo', 'hi']);
    assert.equal(calls[iCreate].body.HostConfig.AutoRemove, true);
  });

  it('prints the full ID for run -d', async () => {
    const r = await berth(['run', '-d', '--name', 'web', 'busybox', 'sleep', '100']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${ID}\n`);
    const create = calls.find((c) => c.url.startsWith('/v1.45/containers/create?name=web'));
    assert.ok(create);
    assert.equal(create.body.AttachStdout, false);
  });

  it('tries to pull an unknown image, then fails like docker run (exit 125)', async () => {
    const r = await berth(['run', 'nosuch']);
    assert.equal(r.code, 125);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "Unable to find image 'nosuch:latest' locally\nberth: Error response from daemon: pulling images is not supported yet\n\nRun 'berth run --help' for more information\n",
    );
  });

  it('exits 127 when the command is not found in the image', async () => {
    const r = await berth(['run', 'badcmd', 'nope']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /^berth: Error response from daemon: failed to create task: exec: "nope": executable file not found in \$PATH\n\nRun 'berth run --help'/);
  });

  it('rejects an unknown flag with usage and exit 125', async () => {
    const r = await berth(['run', '--foo', 'busybox']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "unknown flag: --foo\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
    const c = await berth(['container', 'ls', '-Z']);
    assert.equal(c.code, 125);
    assert.equal(c.stderr, "unknown shorthand flag: 'Z' in -Z\n\nUsage:  berth container ls [OPTIONS]\n\nRun 'berth container ls --help' for more information\n");
  });

  it('reports missing arguments like docker (exit 1)', async () => {
    const r = await berth(['stop']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "berth: 'berth stop' requires at least 1 argument\n\nUsage:  berth stop [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth stop --help' for more information\n");
  });

  it('stops several containers, printing each success and each failure', async () => {
    const r = await berth(['stop', 'a', 'missing', 'b']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'a\nb\n');
    assert.equal(r.stderr, 'Error response from daemon: No such container: missing\n');
  });

  it('lists containers', async () => {
    const r = await berth(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'c0ffee000000 web Up 2 minutes\n');
  });

  it('inspects a container, or says no such object', async () => {
    const r = await berth(['inspect', '--format', '{{.Name}} {{.Config.Image}}', 'web']);
    assert.equal(r.stdout, '/web busybox\n');
    const j = await berth(['container', 'inspect', 'web']);
    assert.ok(j.stdout.startsWith('[\n    {\n        "Id": "c0ffee'));
    const n = await berth(['inspect', 'ghost']);
    assert.equal(n.code, 1);
    assert.equal(n.stdout, '[]\n');
    assert.equal(n.stderr, 'Error: No such object: ghost\n');
  });

  it('prints usage for --help, groups and the root', async () => {
    const h = await berth(['container', 'stop', '--help']);
    assert.equal(h.code, 0);
    assert.equal(
      h.stdout,
      'Usage:  berth container stop [OPTIONS] CONTAINER [CONTAINER...]\n\nStop one or more running containers\n\nAliases:\n  berth container stop, berth stop\n\nOptions:\n  -s, --signal string   Signal to send to the container\n  -t, --timeout int     Seconds to wait before killing the container\n',
    );
    const g = await berth(['container']);
    assert.match(g.stdout, /^Usage: {2}berth container COMMAND\n\nManage containers\n\nCommands:\n {2}attach {6}Attach local standard input/);
    const root = await berth([]);
    assert.match(root.stdout, /^Usage: {2}berth \[OPTIONS\] COMMAND/);
    const u = await berth(['frobnicate']);
    assert.equal(u.code, 1);
    assert.equal(u.stderr, "berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n");
  });

  it('stats and cp are real commands with docker’s usage', async () => {
    const r = await berth(['container', 'stats', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: {2}berth container stats \[OPTIONS\] \[CONTAINER\.\.\.\]\n/);
    assert.match(r.stdout, /--no-stream +Disable streaming stats and only pull the first result/);
    const cp = await berth(['cp', 'a']);
    assert.equal(cp.code, 1);
    assert.match(cp.stderr, /^berth: 'berth cp' requires 2 arguments/);
  });

  it('explains an unsupported host and an unreachable daemon', async () => {
    const t = await berth(['-H', 'tcp://127.0.0.1:2375', 'ps']);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /unix:\/\/ sockets/);
    const d = await berth(['ps'], { BERTH_HOST: `unix://${dir}/nothing.sock` });
    assert.equal(d.code, 1);
    assert.equal(d.stderr, `Cannot connect to the berth daemon at unix://${dir}/nothing.sock. Is the berth daemon running?\n`);
  });

  it('prefers -H over DOCKER_HOST over BERTH_HOST', async () => {
    const r = await berth(['ps', '-q'], { DOCKER_HOST: `unix://${socket}`, BERTH_HOST: 'unix:///nonexistent.sock' });
    assert.equal(r.stdout, 'c0ffee000000\n');
  });
});
