import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { demux, loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;

async function create(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await d.api('POST', '/containers/create' + (name ? `?name=${name}` : ''), { Image: 'busybox', ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id;
}

async function runToEnd(cmd: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; code: number }> {
  const id = await create({ Cmd: cmd, ...extra });
  const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  const s = await d.api('POST', `/containers/${id}/start`);
  assert.equal(s.status, 204, s.body);
  const w = await wait;
  return { id, code: w.json.StatusCode };
}

/** Opens a hijacked attach (Upgrade: tcp) and returns the raw socket after the 101. */
function hijack(p: string): Promise<{ sock: net.Socket; head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(d.socket);
    sock.on('error', reject);
    sock.write(`POST ${p} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
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
    sock.on("data", (c: Buffer) => chunks.push(c));
    sock.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function mountsUnder(dir: string): Promise<string[]> {
  return (await fsp.readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(dir));
}

describe('containers API against a real berthd', () => {
  before(async () => {
    d = await startTestDaemon('containers');
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  test('ping, version and info speak Docker', async () => {
    const p = await d.api('GET', '/_ping');
    assert.equal(p.status, 200);
    assert.equal(p.body, 'OK');
    assert.equal(p.headers['api-version'], '1.45');
    assert.equal(p.headers['ostype'], 'linux');
    assert.ok(p.headers['builder-version'] !== undefined);
    const h = await d.api('HEAD', '/_ping');
    assert.equal(h.status, 200);
    const v = await d.api('GET', '/v1.41/version');
    assert.equal(v.status, 200);
    assert.equal(v.json.ApiVersion, '1.45');
    const tooNew = await d.api('GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.match(tooNew.json.message, /client version 1.99 is too new/);
    const info = await d.api('GET', '/info');
    assert.equal(info.json.Driver, 'overlay2');
    assert.equal(info.json.DockerRootDir, d.dataRoot);
    assert.ok(info.json.Runtimes.runc);
    assert.equal(info.json.CgroupDriver, 'cgroupfs');
    const nf = await d.api('GET', '/nope');
    assert.equal(nf.status, 404);
    assert.equal(typeof nf.json.message, 'string');
  });

  test('run: output in the log, exit code through wait, hostname is the ID prefix', async () => {
    const { id, code } = await runToEnd(['sh', '-c', 'hostname; echo to-err >&2; exit 7']);
    assert.equal(code, 7);
    const logs = await d.api('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
    assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const raw = await new Promise<Buffer>((resolve) => {
      const s = net.connect(d.socket);
      s.write(`GET /containers/${id}/logs?stdout=1&stderr=1 HTTP/1.0\r\n\r\n`);
      const c: Buffer[] = [];
      s.on('data', (x: Buffer) => c.push(x));
      s.on('close', () => resolve(Buffer.concat(c)));
    });
    const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
    const out = demux(body);
    assert.equal(out.stdout, id.slice(0, 12) + '\n');
    assert.equal(out.stderr, 'to-err\n');
    const insp = await d.api('GET', `/containers/${id}/json`);
    assert.equal(insp.json.State.Status, 'exited');
    assert.equal(insp.json.State.ExitCode, 7);
    assert.equal(insp.json.Config.Hostname, id.slice(0, 12));
    assert.match(insp.json.GraphDriver.Data.UpperDir, new RegExp(id));
    assert.equal(insp.json.Path, 'sh');
  });

  test('status codes: 304 for no-op start/stop, 409 for rm of a running container, kill of a stopped one', async () => {
    const id = await create({ Cmd: ['sleep', '60'] });
    assert.equal((await d.api('POST', `/containers/${id}/stop`)).status, 304);
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 304);
    const rm = await d.api('DELETE', `/containers/${id}`);
    assert.equal(rm.status, 409);
    assert.match(rm.json.message, /stop the container before removing or force remove/);
    assert.equal((await d.api('POST', `/containers/${id}/kill`)).status, 204);
    const k = await d.api('POST', `/containers/${id}/kill`);
    assert.equal(k.status, 409);
    assert.match(k.json.message, /is not running/);
    assert.equal((await d.api('DELETE', `/containers/${id}`)).status, 204);
    assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
  });

  test('bad create input: Docker statuses and nothing left behind', async () => {
    const before = (await d.api('GET', '/containers/json?all=1')).json.length;
    const dirsBefore = (await fsp.readdir(path.join(d.dataRoot, 'containers'))).length;
    const malformed = await d.api('POST', '/containers/create', '{"Image": ', { 'Content-Type': 'application/json' });
    assert.equal(malformed.status, 400);
    const wrongType = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: 5 });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.message, /cannot unmarshal number/);
    const noImage = await d.api('POST', '/containers/create', { Image: 'no-such-image' });
    assert.equal(noImage.status, 404);
    assert.match(noImage.json.message, /No such image/);
    const badName = await d.api('POST', '/containers/create?name=bad%20name', { Image: 'busybox' });
    assert.equal(badName.status, 400);
    assert.match(badName.json.message, /Invalid container name/);
    await create({ Cmd: ['true'] }, 'taken');
    const conflict = await d.api('POST', '/containers/create?name=taken', { Image: 'busybox' });
    assert.equal(conflict.status, 409);
    assert.match(conflict.json.message, /The container name "\/taken" is already in use/);
    const badRestart = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'bogus' } } });
    assert.equal(badRestart.status, 400);
    assert.equal((await d.api('GET', '/containers/json?all=1')).json.length, before + 1);
    assert.equal((await fsp.readdir(path.join(d.dataRoot, 'containers'))).length, dirsBefore + 1);
    await d.api('DELETE', '/containers/taken');
  });

  test('a command missing in the image: 400 with exit 127, no mount or task left', async () => {
    const id = await create({ Cmd: ['no-such-binary'] });
    const s = await d.api('POST', `/containers/${id}/start`);
    assert.equal(s.status, 400);
    assert.match(s.json.message, /executable file not found/);
    const insp = await d.api('GET', `/containers/${id}/json`);
    assert.equal(insp.json.State.ExitCode, 127);
    assert.equal(insp.json.State.Running, false);
    assert.deepEqual(await mountsUnder(id), []);
    assert.deepEqual(await fsp.readdir(path.join(d.execRoot, 'containers')).then((x) => x.filter((n) => n === id)), []);
    const perm = await create({ Cmd: ['/etc/passwd'] });
    const s2 = await d.api('POST', `/containers/${perm}/start`);
    assert.equal(s2.status, 400);
    assert.match(s2.json.message, /permission denied/);
    assert.equal((await d.api('GET', `/containers/${perm}/json`)).json.State.ExitCode, 126);
  });

  test('lookup by name, unique prefix; ambiguous and unknown refs', async () => {
    const id = await create({ Cmd: ['true'] }, 'lookup-me');
    assert.equal((await d.api('GET', '/containers/lookup-me/json')).json.Id, id);
    assert.equal((await d.api('GET', `/containers/${id.slice(0, 10)}/json`)).json.Id, id);
    const unknown = await d.api('GET', '/containers/doesnotexist/json');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.message, 'No such container: doesnotexist');
  });

  test('list filters: status, name, label, exited, limit', async () => {
    const a = await create({ Cmd: ['sleep', '60'], Labels: { tier: 'web' } }, 'flt-a');
    await d.api('POST', `/containers/${a}/start`);
    const { id: b } = await runToEnd(['sh', '-c', 'exit 3'], { Labels: { tier: 'db' } });
    const q = (f: Record<string, string[]>, all = true): Promise<{ Id: string; Status: string; State: string }[]> =>
      d.api('GET', `/containers/json?all=${all ? 1 : 0}&filters=${encodeURIComponent(JSON.stringify(f))}`).then((r) => r.json);
    assert.deepEqual((await q({ status: ['running'] })).map((c) => c.Id), [a]);
    assert.deepEqual((await q({ label: ['tier=db'] })).map((c) => c.Id), [b]);
    assert.deepEqual((await q({ name: ['flt-'] })).map((c) => c.Id), [a]);
    assert.deepEqual((await q({ exited: ['3'] })).map((c) => c.Id), [b]);
    const running = (await d.api('GET', '/containers/json')).json as { Id: string; State: string }[];
    assert.ok(running.every((c) => c.State === 'running'));
    assert.equal((await d.api('GET', '/containers/json?all=1&limit=1')).json.length, 1);
    const bad = await d.api('GET', `/containers/json?filters=${encodeURIComponent('{"color":["red"]}')}`);
    assert.equal(bad.status, 400);
    await d.api('DELETE', `/containers/${a}?force=1`);
  });

  test('attach over an HTTP upgrade: stdin in, output out, before start', async () => {
    const id = await create({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
    const { sock, head, rest } = await hijack(`/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    assert.match(head, /^HTTP\/1.1 101 UPGRADED/);
    const all = collect(sock, rest);
    const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    sock.write('hello through cat\n');
    sock.end();
    assert.equal(demux(await all).stdout, 'hello through cat\n');
    assert.equal((await wait).json.StatusCode, 0);
  });

  test('stdin sent before the start is not lost (echo x | docker run -i)', async () => {
    const id = await create({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
    const { sock, rest } = await hijack(`/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    const all = collect(sock, rest);
    sock.write('early bird\n');
    sock.end();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    assert.equal(demux(await all).stdout, 'early bird\n');
  });

  test('tty container: raw stream, resize reaches the pty', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'sleep 0.3; stty size'], Tty: true });
    const { sock, rest } = await hijack(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
    const all = collect(sock, rest);
    await d.api('POST', `/containers/${id}/start`);
    assert.equal((await d.api('POST', `/containers/${id}/resize?h=33&w=111`)).status, 200);
    const out = (await all).toString();
    assert.match(out, /33 111/);
  });

  test('wait conditions and auto-remove', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'exit 4'], HostConfig: { AutoRemove: true } });
    const removed = d.api('POST', `/containers/${id}/wait?condition=removed`);
    await d.api('POST', `/containers/${id}/start`);
    assert.equal((await removed).json.StatusCode, 4);
    assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
    assert.deepEqual(await mountsUnder(id), []);
    const { id: done } = await runToEnd(['true']);
    const nr = await d.api('POST', `/containers/${done}/wait`);
    assert.equal(nr.json.StatusCode, 0);
    const bad = await d.api('POST', `/containers/${done}/wait?condition=sometime`);
    assert.equal(bad.status, 400);
  });

  test('logs: tail, timestamps, stream selection, follow ends when the container stops', async () => {
    const { id } = await runToEnd(['sh', '-c', 'for i in 1 2 3 4; do echo out$i; done; echo e1 >&2']);
    const get = async (q: string): Promise<{ stdout: string; stderr: string }> => {
      const raw = await new Promise<Buffer>((resolve) => {
        const s = net.connect(d.socket);
        s.write(`GET /containers/${id}/logs?${q} HTTP/1.0\r\n\r\n`);
        const c: Buffer[] = [];
        s.on('data', (x: Buffer) => c.push(x));
        s.on('close', () => resolve(Buffer.concat(c)));
      });
      return demux(raw.subarray(raw.indexOf('\r\n\r\n') + 4));
    };
    assert.equal((await get('stdout=1&tail=2')).stdout, 'out3\nout4\n');
    assert.equal((await get('stderr=1')).stdout, '');
    assert.equal((await get('stderr=1')).stderr, 'e1\n');
    assert.match((await get('stdout=1&timestamps=1&tail=1')).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out4\n$/);
    const f = await create({ Cmd: ['sh', '-c', 'echo a; sleep 0.5; echo b'] });
    await d.api('POST', `/containers/${f}/start`);
    const t0 = Date.now();
    const raw = await new Promise<Buffer>((resolve) => {
      const s = net.connect(d.socket);
      s.write(`GET /containers/${f}/logs?stdout=1&follow=1 HTTP/1.0\r\n\r\n`);
      const c: Buffer[] = [];
      s.on('data', (x: Buffer) => c.push(x));
      s.on('close', () => resolve(Buffer.concat(c)));
    });
    assert.equal(demux(raw.subarray(raw.indexOf('\r\n\r\n') + 4)).stdout, 'a\nb\n');
    assert.ok(Date.now() - t0 < 5000);
  });

  test('binds, tmpfs, user, workdir, env and labels reach the process', async () => {
    const host = await fsp.mkdtemp(path.join(d.dir, 'bind-'));
    await fsp.writeFile(path.join(host, 'in.txt'), 'from host\n');
    const { id: id2 } = await runToEnd(['sh', '-c', 'cat /data/in.txt; echo made > /data/out.txt; id -u; pwd; echo $GREETING; mount | grep -c " /scratch "; touch /ro/x 2>/dev/null || echo ro-ok'], {
      WorkingDir: '/tmp',
      Env: ['GREETING=hi'],
      HostConfig: { Binds: [`${host}:/data`, `${host}:/ro:ro`], Tmpfs: { '/scratch': 'size=1m' } },
    });
    const raw = await new Promise<Buffer>((resolve) => {
      const s = net.connect(d.socket);
      s.write(`GET /containers/${id2}/logs?stdout=1&stderr=1 HTTP/1.0\r\n\r\n`);
      const c: Buffer[] = [];
      s.on('data', (x: Buffer) => c.push(x));
      s.on('close', () => resolve(Buffer.concat(c)));
    });
    assert.equal(demux(raw.subarray(raw.indexOf('\r\n\r\n') + 4)).stdout, 'from host\n0\n/tmp\nhi\n1\nro-ok\n');
    assert.equal(await fsp.readFile(path.join(host, 'out.txt'), 'utf8'), 'made\n');
    const nobody = await runToEnd(['sh', '-c', '[ "$(id -u)" = 65534 ]'], { User: 'nobody' });
    assert.equal(nobody.code, 0);
  });

  test('a stopped container keeps its files and starts again', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'cat /keep 2>/dev/null; date >> /keep; sleep 60'] });
    await d.api('POST', `/containers/${id}/start`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await d.api('POST', `/containers/${id}/stop?t=0`)).status, 204);
    const diff = path.join(d.dataRoot, 'containers', id, 'diff', 'keep');
    assert.ok((await fsp.readFile(diff, 'utf8')).length > 0);
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await fsp.readFile(diff, 'utf8')).trim().split('\n').length, 2);
    await d.api('DELETE', `/containers/${id}?force=1`);
    assert.deepEqual(await mountsUnder(id), []);
  });

  test('pause, unpause, rename, top, restart', async () => {
    const id = await create({ Cmd: ['sleep', '60'] }, 'pr-one');
    await d.api('POST', `/containers/${id}/start`);
    assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 204);
    assert.equal((await d.api('GET', `/containers/${id}/json`)).json.State.Status, 'paused');
    assert.equal((await d.api('POST', `/containers/${id}/pause`)).status, 409);
    assert.equal((await d.api('POST', `/containers/${id}/unpause`)).status, 204);
    const top = await d.api('GET', `/containers/${id}/top`);
    assert.ok(top.json.Processes.some((p: string[]) => p[p.length - 1] === 'sleep 60'));
    assert.equal((await d.api('POST', `/containers/${id}/rename?name=pr-two`)).status, 204);
    assert.equal((await d.api('GET', '/containers/pr-two/json')).json.Id, id);
    assert.equal((await d.api('GET', '/containers/pr-one/json')).status, 404);
    const pid1 = (await d.api('GET', `/containers/${id}/json`)).json.State.Pid;
    assert.equal((await d.api('POST', `/containers/${id}/restart?t=0`)).status, 204);
    const after = (await d.api('GET', `/containers/${id}/json`)).json.State;
    assert.equal(after.Running, true);
    assert.notEqual(after.Pid, pid1);
    await d.api('DELETE', `/containers/${id}?force=1`);
  });

  test('containers survive kill -9 of berthd; exits while it was down are found', async () => {
    const long = await create({ Cmd: ['sh', '-c', 'echo before; sleep 60'] }, 'survivor');
    const short = await create({ Cmd: ['sh', '-c', 'sleep 1; exit 9'] }, 'dies-meanwhile');
    await d.api('POST', `/containers/${long}/start`);
    await d.api('POST', `/containers/${short}/start`);
    const pid = (await d.api('GET', `/containers/${long}/json`)).json.State.Pid;
    await d.kill9();
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 0); // still alive
    await d.restart();
    const l = (await d.api('GET', `/containers/${long}/json`)).json.State;
    assert.equal(l.Running, true);
    assert.equal(l.Pid, pid);
    const s = (await d.api('GET', `/containers/${short}/json`)).json.State;
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 9);
    // The re-adopted container can still be stopped, and its exit is seen.
    assert.equal((await d.api('POST', `/containers/${long}/stop?t=0`)).status, 204);
    assert.equal((await d.api('GET', `/containers/${long}/json`)).json.State.ExitCode, 137);
  });

  test('records are crash-consistent under kill -9 at random moments', async () => {
    for (let round = 0; round < 4; round++) {
      const work = (async () => {
        for (let i = 0; i < 20; i++) {
          const r = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] }).catch(() => undefined);
          if (!r || r.status !== 201) return;
          await d.api('POST', `/containers/${r.json.Id}/start`).catch(() => undefined);
          await d.api('POST', `/containers/${r.json.Id}/rename?name=crash-${round}-${i}`).catch(() => undefined);
        }
      })();
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 300));
      await d.kill9();
      await work.catch(() => undefined);
      await d.restart();
      assert.doesNotMatch(d.log(), /cannot read container record/);
      const list = await d.api('GET', '/containers/json?all=1');
      assert.equal(list.status, 200);
      for (const c of list.json as { Id: string }[]) {
        const insp = await d.api('GET', `/containers/${c.Id}/json`);
        assert.equal(insp.status, 200);
      }
    }
  });

  test('list with size=1 reports what the container wrote', async () => {
    const { id } = await runToEnd(['sh', '-c', 'head -c 123456 /dev/zero > /blob']);
    const list = (await d.api('GET', '/containers/json?all=1&size=1')).json as { Id: string; SizeRw: number; SizeRootFs: number }[];
    const c = list.find((x) => x.Id === id)!;
    assert.equal(c.SizeRw, 123456);
    assert.ok(c.SizeRootFs > c.SizeRw);
  });

  test('ulimits apply; ones above the host limit are clamped with a warning', async () => {
    const ok = await runToEnd(['sh', '-c', '[ "$(ulimit -n)" = 100 ] && [ "$(ulimit -Hn)" = 200 ]'], { HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }] } });
    assert.equal(ok.code, 0);
    const big = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'ulimit -Hn'], HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 1 << 30 }] } });
    assert.equal(big.status, 201);
    assert.match(big.json.Warnings.join('\n'), /clamped/);
    const w = d.api('POST', `/containers/${big.json.Id}/wait?condition=next-exit`);
    assert.equal((await d.api('POST', `/containers/${big.json.Id}/start`)).status, 204);
    assert.equal((await w).json.StatusCode, 0);
    const bad = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 5, Hard: 1 }] } });
    assert.equal(bad.status, 400);
  });

  test('the daemon keeps serving after garbage', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(d.socket);
      s.write('THIS IS NOT HTTP\r\n\r\n');
      s.on('close', () => resolve());
      s.on('data', () => s.end());
    });
    const r = await d.api('POST', '/containers/create', '[1,2,3]', { 'Content-Type': 'application/json' });
    assert.equal(r.status, 400);
    assert.equal((await d.api('GET', '/_ping')).status, 200);
  });
});
