/**
 * exec against a real berthd (API level): conmon --exec with its own exit dir and attach
 * socket, hijacked sessions (multiplexed and tty), stdin, detach, resize, inspect, and
 * dockerd's errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { promises as fsp } from 'node:fs';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { demux, loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;
let web: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runContainer(name: string, cmd: string[] = ['sleep', '600'], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' }, ...extra });
  assert.equal(c.status, 201, c.body);
  const s = await d.api('POST', `/containers/${c.json.Id}/start`);
  assert.equal(s.status, 204, s.body);
  return c.json.Id;
}

async function execCreate(container: string, body: Record<string, unknown>): Promise<string> {
  const r = await d.api('POST', `/containers/${container}/exec`, { AttachStdout: true, AttachStderr: true, ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id;
}

/** POST /exec/{id}/start hijacked (Upgrade: tcp); resolves with the socket after the 101. */
function execStart(id: string, body: Record<string, unknown>): Promise<{ sock: net.Socket; head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const sock = net.connect(d.socket);
    sock.on('error', reject);
    sock.write(
      `POST /v1.45/exec/${id}/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\n\r\n${data}`,
    );
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      resolve({ sock, head: buf.subarray(0, end).toString(), rest: buf.subarray(end + 4) });
    };
    sock.on('data', onData);
  });
}

function collect(sock: net.Socket, first: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks = [first];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Runs an attached exec to its end: output and the exit code inspect reports right away. */
async function execRun(container: string, cmd: string[], extra: Record<string, unknown> = {}): Promise<{ stdout: string; stderr: string; code: number | null; id: string }> {
  const id = await execCreate(container, { Cmd: cmd, ...extra });
  const { sock, head, rest } = await execStart(id, { Detach: false, Tty: !!extra.Tty });
  assert.match(head, /^HTTP\/1.1 101 UPGRADED/);
  const raw = await collect(sock, rest);
  const out = extra.Tty ? { stdout: raw.toString(), stderr: '' } : demux(raw);
  const inspect = await d.api('GET', `/exec/${id}/json`);
  return { ...out, code: inspect.json.ExitCode, id };
}

describe('exec against a real berthd', () => {
  before(async () => {
    d = await startTestDaemon('exec');
    await loadBusybox(d);
    web = await runContainer('exec-web');
  });
  after(async () => {
    await d?.cleanup();
  });

  test('output on both streams, the exit code, ExecIDs while it runs', async () => {
    const r = await execRun(web, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
    const inspect = (await d.api('GET', `/exec/${r.id}/json`)).json;
    assert.equal(inspect.Running, false);
    assert.equal(inspect.ContainerID, web);
    assert.deepEqual(inspect.ProcessConfig, { tty: false, entrypoint: 'sh', arguments: ['-c', 'echo out; echo err >&2; exit 3'], privileged: false });
    assert.ok(inspect.Pid > 0);
    assert.equal(inspect.CanRemove, true);

    const long = await execCreate(web, { Cmd: ['sleep', '2'] });
    const before = (await d.api('GET', `/exec/${long}/json`)).json;
    assert.equal(before.Running, false);
    assert.equal(before.ExitCode, null);
    const start = await d.api('POST', `/exec/${long}/start`, { Detach: true });
    assert.equal(start.status, 200, start.body);
    const running = (await d.api('GET', `/exec/${long}/json`)).json;
    assert.equal(running.Running, true);
    assert.ok(running.Pid > 0);
    assert.deepEqual((await d.api('GET', `/containers/${web}/json`)).json.ExecIDs, [long]);
    const again = await d.api('POST', `/exec/${long}/start`, { Detach: true });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /is already running/);
    await sleep(2500);
    const done = (await d.api('GET', `/exec/${long}/json`)).json;
    assert.equal(done.Running, false);
    assert.equal(done.ExitCode, 0);
    assert.equal((await d.api('GET', `/containers/${web}/json`)).json.ExecIDs, null);
    const third = await d.api('POST', `/exec/${long}/start`, { Detach: true });
    assert.equal(third.status, 409);
    assert.match(third.json.message, /has already run/);
  });

  test('Env, User (from the container’s /etc/passwd), WorkingDir, Privileged', async () => {
    const env = await execRun(web, ['sh', '-c', 'echo $FOO:$HOSTNAME; id -un; pwd; grep CapEff /proc/self/status'], { Env: ['FOO=bar'], User: 'nobody', WorkingDir: '/tmp' });
    const [foo, user, pwd, caps] = env.stdout.trim().split('\n');
    assert.equal(foo, `bar:${web.slice(0, 12)}`);
    assert.equal(user, 'nobody');
    assert.equal(pwd, '/tmp');
    assert.match(caps, /CapEff:\s+0000000000000000/);
    // Privileged: every capability the daemon holds (this sandbox lacks some).
    const own = /CapBnd:\s+([0-9a-f]+)/.exec(await fsp.readFile('/proc/self/status', 'utf8'))![1];
    const priv = await execRun(web, ['sh', '-c', 'grep CapEff /proc/self/status'], { Privileged: true });
    assert.match(priv.stdout, new RegExp(`CapEff:\\s+${own}`));
    const uid = await execRun(web, ['id', '-u'], { User: '1234' });
    assert.equal(uid.stdout.trim(), '1234');
  });

  test('a tty session is a raw stream with the console size given at start', async () => {
    const r = await execRun(web, ['sh', '-c', 'stty size; echo "Hello, Docker!"'], { Tty: true, ConsoleSize: [33, 111] });
    assert.equal(r.stdout, '33 111\r\nHello, Docker!\r\n');
    assert.equal(r.code, 0);
  });

  test('stdin reaches the process; closing it ends the process', async () => {
    const id = await execCreate(web, { Cmd: ['sh', '-c', 'cat; echo done'], AttachStdin: true });
    const { sock, rest } = await execStart(id, { Detach: false, Tty: false });
    const all = collect(sock, rest);
    sock.write('line one\nline two\n');
    await sleep(100);
    sock.end();
    const out = demux(await all);
    assert.equal(out.stdout, 'line one\nline two\ndone\n');
    assert.equal((await d.api('GET', `/exec/${id}/json`)).json.ExitCode, 0);
  });

  test('the detach keys leave a tty session running', async () => {
    const id = await execCreate(web, { Cmd: ['sh'], AttachStdin: true, Tty: true, DetachKeys: 'ctrl-x,x' });
    const { sock, rest } = await execStart(id, { Detach: false, Tty: true });
    const all = collect(sock, rest);
    sock.write('echo hi-there\n');
    await sleep(200);
    sock.write(Buffer.from([24, 120]));
    const out = (await all).toString();
    assert.match(out, /hi-there/);
    const inspect = (await d.api('GET', `/exec/${id}/json`)).json;
    assert.equal(inspect.Running, true);
    assert.equal(inspect.DetachKeys, Buffer.from([24, 120]).toString('base64'));
  });

  test('resize of a tty exec', async () => {
    const id = await execCreate(web, { Cmd: ['sh', '-c', 'sleep 0.5; stty size'], Tty: true });
    const { sock, rest } = await execStart(id, { Detach: false, Tty: true });
    const all = collect(sock, rest);
    const rz = await d.api('POST', `/exec/${id}/resize?h=40&w=100`);
    assert.equal(rz.status, 200, rz.body);
    assert.equal((await all).toString(), '40 100\r\n');
    const bad = await d.api('POST', `/exec/${id}/resize?h=x&w=1`);
    assert.equal(bad.status, 400);
  });

  test('a missing binary is 127 and a non-executable one 126, with dockerd’s message', async () => {
    const missing = await execRun(web, ['nope']);
    assert.equal(missing.code, 127);
    assert.equal(missing.stdout, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\r\n');
    const denied = await execRun(web, ['/etc/passwd']);
    assert.equal(denied.code, 126);
    assert.match(denied.stdout, /permission denied/);
    const cwd = await execRun(web, ['true'], { WorkingDir: '/does/not/exist' });
    assert.equal(cwd.code, 127);
    const detached = await execCreate(web, { Cmd: ['nope'] });
    const r = await d.api('POST', `/exec/${detached}/start`, { Detach: true });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /executable file not found/);
    assert.equal((await d.api('GET', `/exec/${detached}/json`)).json.ExitCode, 127);
  });

  test('refusals: stopped, paused, unknown user, no command, unknown exec', async () => {
    const stopped = await d.api('POST', '/containers/create?name=exec-stopped', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    const r1 = await d.api('POST', '/containers/exec-stopped/exec', { Cmd: ['true'] });
    assert.equal(r1.status, 409);
    assert.equal(r1.json.message, `container ${stopped.json.Id} is not running`);
    const p = await runContainer('exec-paused');
    assert.equal((await d.api('POST', `/containers/${p}/pause`)).status, 204);
    const r2 = await d.api('POST', '/containers/exec-paused/exec', { Cmd: ['true'] });
    assert.equal(r2.status, 409);
    assert.match(r2.json.message, /^Container exec-paused is paused, unpause the container before exec$/);
    // An exec created before the pause cannot start while it lasts.
    await d.api('POST', `/containers/${p}/unpause`);
    const pending = await execCreate(p, { Cmd: ['true'] });
    await d.api('POST', `/containers/${p}/pause`);
    const r3 = await d.api('POST', `/exec/${pending}/start`, { Detach: true });
    assert.equal(r3.status, 409);
    await d.api('POST', `/containers/${p}/unpause`);
    const r4 = await d.api('POST', `/containers/${web}/exec`, { Cmd: ['true'], User: 'nosuchuser' });
    assert.equal(r4.status, 400);
    assert.equal(r4.json.message, 'unable to find user nosuchuser: no matching entries in passwd file');
    const r5 = await d.api('POST', `/containers/${web}/exec`, { Cmd: [] });
    assert.equal(r5.status, 400);
    assert.equal(r5.json.message, 'No exec command specified');
    const r6 = await d.api('GET', '/exec/0123456789abcdef/json');
    assert.equal(r6.status, 404);
    assert.equal(r6.json.message, 'No such exec instance: 0123456789abcdef');
    const r7 = await d.api('POST', '/containers/nosuch/exec', { Cmd: ['true'] });
    assert.equal(r7.status, 404);
  });

  test('an exec ends with its container', async () => {
    const c = await runContainer('exec-short', ['sleep', '1']);
    const id = await execCreate(c, { Cmd: ['sleep', '30'] });
    const { sock, rest } = await execStart(id, { Detach: false, Tty: false });
    await collect(sock, rest);
    const inspect = (await d.api('GET', `/exec/${id}/json`)).json;
    assert.equal(inspect.Running, false);
    assert.equal(inspect.ExitCode, 137);
  });
});
