/**
 * Black-box compatibility suite: the REAL docker CLI (v28, `docker` on the PATH) against a
 * real berthd, for everything issue 2's "Must show" lists. Nothing here knows berth's
 * internals beyond the daemon's temp dirs (to look for leftover mounts and conmons); the
 * same assertions hold against a real dockerd.
 *
 * Run: node --test dist/test/compat/docker-cli.test.js
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/busybox.js';

const dockerOnPath = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = dockerOnPath ? false : 'the docker CLI is not on the PATH (this suite drives the real docker CLI against berthd)';

const HEX64 = /^[0-9a-f]{64}$/;
const ESC = String.fromCharCode(27);
/** ash's prompt; it may ask the terminal for the cursor position (ESC[6n) right after it. */
const PROMPT = new RegExp(`/ # (${ESC}\\[6n)?$`);
const CTRL_P_CTRL_Q = '\x10\x11';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command run under script(1), so it has a real terminal; we type into script's stdin. */
interface PtySession {
  output(): string;
  send(text: string): void;
  expect(re: RegExp, ms?: number): Promise<void>;
  exited(ms?: number): Promise<number | null>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('docker CLI against berthd', { skip }, () => {
  let d: TestDaemon;
  let work: string;

  const docker = (args: string[], input?: string | Buffer, timeoutMs = 30_000): Promise<Result> =>
    run('docker', args, { env: { DOCKER_HOST: d.host, DOCKER_CLI_HINTS: 'false' }, input, timeoutMs });

  /** docker that must succeed; returns stdout. */
  const ok = async (args: string[], input?: string | Buffer): Promise<string> => {
    const r = await docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  const inspect = async (ref: string, format: string): Promise<string> => (await ok(['inspect', '--format', format, ref])).trim();

  const pty = (cmd: string): PtySession => {
    const p = spawn('script', ['-qefc', cmd, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CLI_HINTS: 'false', TERM: 'xterm' },
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    const closed = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
    return {
      output: () => out,
      send: (text) => void p.stdin.write(text),
      async expect(re, ms = 10_000) {
        const end = Date.now() + ms;
        while (!re.test(out)) {
          if (Date.now() > end) {
            p.kill('SIGKILL');
            throw new Error(`timed out waiting for ${re} from \`${cmd}\`; got:\n${JSON.stringify(out)}`);
          }
          await sleep(25);
        }
      },
      async exited(ms = 10_000) {
        const r = await Promise.race([closed, sleep(ms).then(() => 'timeout' as const)]);
        if (r === 'timeout') {
          p.kill('SIGKILL');
          throw new Error(`\`${cmd}\` did not end; got:\n${JSON.stringify(out)}`);
        }
        return r;
      },
    };
  };

  /** Mounts below the test's temp dir and conmons of the test's exec root. */
  const leftovers = async (): Promise<{ mounts: string[]; conmons: string[] }> => {
    const mounts = (await fsp.readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && m.startsWith(d.dir));
    const conmons = (await run('pgrep', ['-af', 'conmon'])).stdout.split('\n').filter((l) => l.includes(d.execRoot));
    return { mounts, conmons };
  };

  /** The container's cgroup dirs (berthd puts containers under /berth/<id>), v1 or v2. */
  const cgroupsOf = async (id: string): Promise<string[]> => {
    const controllers = await fsp.readdir('/sys/fs/cgroup').catch(() => [] as string[]);
    const candidates = [path.join('/sys/fs/cgroup/berth', id), ...controllers.map((c) => path.join('/sys/fs/cgroup', c, 'berth', id))];
    const found: string[] = [];
    for (const p of candidates) if (await fsp.stat(p).then(() => true, () => false)) found.push(p);
    return found;
  };

  /** Removes every container (rm -f). */
  const removeAll = async (): Promise<void> => {
    const ids = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
    if (ids.length) await ok(['rm', '-f', ...ids]);
  };

  const assertClean = async (what: string): Promise<void> => {
    assert.equal(await ok(['ps', '-aq']), '', `${what}: a container record remains`);
    const left = await leftovers();
    assert.deepEqual(left.mounts, [], `${what}: mounts remain`);
    assert.deepEqual(left.conmons, [], `${what}: conmon processes remain`);
  };

  before(async () => {
    d = await startTestDaemon('compat');
    work = path.join(d.dir, 'work');
    await fsp.mkdir(work);
    const tar = path.join(work, 'busybox.tar');
    await fsp.writeFile(tar, busyboxTar());
    const out = await ok(['load', '-i', tar]);
    assert.match(out, /Loaded image: busybox:latest/);
  });

  after(async () => {
    await d?.cleanup();
  });

  // Every test starts from no containers, whatever the one before it left.
  beforeEach(async () => {
    if (d.proc.exitCode !== null || d.proc.signalCode !== null) await d.restart();
    await removeAll();
  });

  // ---- system --------------------------------------------------------------------------

  it('version and info describe the berth engine', async () => {
    const v = await ok(['version']);
    assert.match(v, /^Client:/m);
    assert.match(v, /^Server: /m);
    const api = await ok(['version', '--format', '{{.Server.APIVersion}}']);
    const [maj, min] = api.trim().split('.').map(Number);
    assert.ok(maj === 1 && min >= 40, `server API version ${api}`);
    assert.equal(await ok(['info', '--format', '{{.DockerRootDir}}']), d.dataRoot + '\n');
    assert.equal(await ok(['info', '--format', '{{.Driver}} {{.OSType}}']), 'overlay2 linux\n');
    const info = await ok(['info']);
    assert.match(info, /^ Images: [1-9]/m);
    assert.match(info, /^ Containers: \d+/m);
    assert.match(info, /^ Default Runtime: runc$/m);
    // The counts follow the containers' states.
    await ok(['run', '-d', '--name', 'compat-info-run', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'compat-info-pause', 'busybox', 'sleep', '1000']);
    await ok(['pause', 'compat-info-pause']);
    await ok(['run', '--name', 'compat-info-done', 'busybox', 'true']);
    await ok(['create', '--name', 'compat-info-new', 'busybox', 'true']);
    const counts = await ok(['info', '--format', '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}']);
    assert.equal(counts, '4 1 1 2\n');
  });

  // ---- run -----------------------------------------------------------------------------

  it('run prints the output, passes the exit code through, --rm leaves nothing', async () => {
    const r = await docker(['run', '--name', 'compat-run', 'busybox', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'to-out\n');
    assert.equal(r.stderr, 'to-err\n');
    assert.equal(await inspect('compat-run', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 3');
    await ok(['rm', 'compat-run']);

    const rm = await docker(['run', '--rm', '--name', 'compat-rm', 'busybox', 'echo', 'gone soon']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'gone soon\n');
    const again = await docker(['inspect', 'compat-rm']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No such (container|object): compat-rm/);
    await assertClean('after run --rm');
  });

  it('parallel docker run --rm: each gets its own output and exit code, nothing remains', async () => {
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => docker(['run', '--rm', 'busybox', 'sh', '-c', `echo par-${i}; exit ${i}`])),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(r.stdout, `par-${i}\n`, r.stderr);
      assert.equal(r.code, i);
    }
    await assertClean('after parallel runs');
  });

  it('run -it busybox sh: a terminal, hostname = ID prefix, `exit 5` ends it with 5', async () => {
    const s = pty('docker run -it --name compat-tty busybox sh');
    await s.expect(PROMPT);
    s.send('hostname\r');
    await s.expect(/hostname\r?\n([0-9a-f]{12})\r?\n/);
    s.send('tty; echo cols=$(stty size)\r');
    await s.expect(/\/dev\/pts\/\d+\r?\n/);
    s.send('exit 5\r');
    assert.equal(await s.exited(), 5, s.output());
    const id = await inspect('compat-tty', '{{.Id}}');
    assert.match(id, HEX64);
    const host = /hostname\r?\n([0-9a-f]{12})\r?\n/.exec(s.output())![1];
    assert.equal(host, id.slice(0, 12));
    assert.equal(await inspect('compat-tty', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}}'), 'exited 5 true');
    await ok(['rm', 'compat-tty']);
  });

  it('run -d prints the 64-hex ID; ps, ps -a, ps -aq and ps --format list it', async () => {
    const out = await ok(['run', '-d', '--name', 'compat-bg', 'busybox', 'sleep', '1000']);
    const id = out.trim();
    assert.match(id, HEX64);
    assert.equal(out, id + '\n');
    assert.equal((await docker(['run', '--name', 'compat-done', 'busybox', 'sh', '-c', 'exit 2'])).code, 2);
    const doneId = await inspect('compat-done', '{{.Id}}');

    const ps = (await ok(['ps'])).split('\n');
    assert.match(ps[0], /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    const row = ps.find((l) => l.startsWith(id.slice(0, 12)));
    assert.ok(row, `ps lacks ${id.slice(0, 12)}:\n${ps.join('\n')}`);
    assert.match(row, /^[0-9a-f]{12} +busybox +"sleep 1000" +.+ ago +Up .+ +compat-bg$/);
    assert.ok(!ps.some((l) => l.includes('compat-done')), 'ps without -a lists an exited container');

    const all = await ok(['ps', '-a']);
    assert.match(all, new RegExp(`^${doneId.slice(0, 12)} +busybox +"sh -c 'exit 2'" +.+ ago +Exited \\(2\\) .+ago +compat-done$`, 'm'));

    const q = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
    assert.ok(q.includes(id.slice(0, 12)) && q.includes(doneId.slice(0, 12)), q.join(' '));
    assert.ok(q.every((x) => /^[0-9a-f]{12}$/.test(x)), q.join(' '));

    const fmt = await ok(['ps', '--format', '{{.ID}}|{{.Names}}|{{.Image}}|{{.Command}}|{{.State}}', '--filter', 'name=compat-bg']);
    assert.equal(fmt, `${id.slice(0, 12)}|compat-bg|busybox|"sleep 1000"|running\n`);
    const table = await ok(['ps', '-a', '--format', 'table {{.Names}}\t{{.Status}}', '--filter', 'name=compat-done']);
    assert.match(table, /^NAMES +STATUS\ncompat-done +Exited \(2\) .+ ago\n$/);

    // top: the container's processes, Docker's columns.
    const top = (await ok(['top', 'compat-bg'])).split('\n');
    assert.match(top[0], /^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
    assert.equal(top.filter((l) => /sleep 1000$/.test(l)).length, 1, top.join('\n'));
    const topArgs = await ok(['top', 'compat-bg', '-o', 'pid,comm']);
    assert.match(topArgs, /^ *PID +COMMAND\n *\d+ +sleep\n$/);

    await ok(['rm', '-f', 'compat-bg', 'compat-done']);
  });

  // ---- logs and inspect ------------------------------------------------------------------

  it('logs, logs --tail, logs -t, and logs -f ends when the container stops', async () => {
    const id = (
      await ok(['run', '-d', '--name', 'compat-logs', 'busybox', 'sh', '-c', 'for i in 1 2 3 4; do echo line$i; done; echo oops >&2; sleep 2; echo late'])
    ).trim();
    // Before the container ends, the first five messages are there.
    let logs = await docker(['logs', 'compat-logs']);
    for (let i = 0; i < 50 && !logs.stderr; i++) {
      await sleep(100);
      logs = await docker(['logs', 'compat-logs']);
    }
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'line1\nline2\nline3\nline4\n');
    assert.equal(logs.stderr, 'oops\n');

    const tail = await docker(['logs', '--tail', '2', 'compat-logs']);
    assert.equal(tail.stdout, 'line4\n');
    assert.equal(tail.stderr, 'oops\n');
    assert.equal((await docker(['logs', '--tail', '0', 'compat-logs'])).stdout, '');

    const ts = await docker(['logs', '-t', 'compat-logs']);
    const lines = ts.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 4);
    for (const [i, l] of lines.entries()) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z line${i + 1}$`));

    // `late` comes after the sleep: logs -f waited for it, and returned because the container stopped.
    assert.equal(await inspect(id, '{{.State.Status}}'), 'running');
    const follow = await docker(['logs', '-f', 'compat-logs'], undefined, 15_000);
    assert.equal(follow.code, 0, follow.stderr);
    assert.equal(follow.stdout, 'line1\nline2\nline3\nline4\nlate\n');
    assert.equal(await inspect(id, '{{.State.Status}}'), 'exited');
    // Following a stopped container returns at once.
    const again = await docker(['logs', '-f', '--tail', '1', id], undefined, 5_000);
    assert.equal(again.stdout, 'late\n');
    await ok(['rm', id]);

    // Long lines reach conmon in 8 KB pieces (partial records): they come back whole.
    const big = await docker(['run', '--name', 'compat-biglog', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" a; echo; seq 1 3000']);
    const expected = 'a'.repeat(100_000) + '\n' + Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join('');
    assert.ok(big.stdout === expected, `docker run output differs (${big.stdout.length} vs ${expected.length} bytes)`);
    const bigLogs = await docker(['logs', 'compat-biglog']);
    assert.ok(bigLogs.stdout === expected, `docker logs output differs (${bigLogs.stdout.length} vs ${expected.length} bytes): ${bigLogs.stdout.slice(0, 200)}`);
    await ok(['rm', 'compat-biglog']);
  });

  it('inspect returns Docker\'s JSON shape; --format renders templates', async () => {
    const id = (await ok(['run', '-d', '--name', 'compat-insp', '-e', 'FOO=bar', '-l', 'tier=compat', 'busybox', 'sleep', '1000'])).trim();
    const arr = JSON.parse(await ok(['inspect', 'compat-insp'])) as Record<string, any>[];
    assert.equal(arr.length, 1);
    const c = arr[0];
    assert.equal(c.Id, id);
    assert.equal(c.Name, '/compat-insp');
    assert.equal(c.Path, 'sleep');
    assert.deepEqual(c.Args, ['1000']);
    assert.equal(c.State.Status, 'running');
    assert.equal(c.State.Running, true);
    assert.ok(c.State.Pid > 0);
    assert.match(c.Image, /^sha256:[0-9a-f]{64}$/);
    assert.equal(c.Config.Image, 'busybox');
    assert.equal(c.Config.Hostname, id.slice(0, 12));
    assert.deepEqual(c.Config.Cmd, ['sleep', '1000']);
    assert.ok(c.Config.Env.includes('FOO=bar'), c.Config.Env);
    assert.equal(c.Config.Labels.tier, 'compat');
    assert.equal(c.GraphDriver.Name, 'overlay2');
    for (const k of ['LowerDir', 'UpperDir', 'MergedDir', 'WorkDir']) assert.ok(c.GraphDriver.Data[k], `GraphDriver.Data.${k}`);
    assert.ok(c.HostConfig && c.NetworkSettings, 'HostConfig and NetworkSettings');

    assert.equal(await inspect('compat-insp', '{{.State.Status}} {{.Name}} {{.Config.Hostname}}'), `running /compat-insp ${id.slice(0, 12)}`);
    assert.equal(await inspect(id.slice(0, 8), '{{json .Config.Cmd}}'), '["sleep","1000"]');
    assert.equal(await inspect('compat-insp', '{{index .Config.Labels "tier"}}'), 'compat');
    const typed = await ok(['inspect', '--type', 'container', '--format', '{{.Id}}', 'compat-insp']);
    assert.equal(typed, id + '\n');
    const missing = await docker(['inspect', 'compat-no-such-thing']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such object: compat-no-such-thing/);
    await ok(['rm', '-f', id]);
  });

  // ---- lifecycle -------------------------------------------------------------------------

  it('create → start → stop → restart → kill → pause → unpause → wait → rename → rm', async () => {
    // Exits 42 on SIGTERM, so stop is quick and its effect visible.
    const script = 'trap "exit 42" TERM; echo started; while true; do sleep 0.1; done';
    const id = (await ok(['create', '--name', 'compat-lc', 'busybox', 'sh', '-c', script])).trim();
    assert.match(id, HEX64);
    const status = (): Promise<string> => inspect('compat-lc', '{{.State.Status}}');
    assert.equal(await status(), 'created');
    assert.match(await ok(['ps', '-a', '--filter', 'name=compat-lc', '--format', '{{.Status}}']), /^Created\n$/);

    assert.equal(await ok(['start', 'compat-lc']), 'compat-lc\n');
    assert.equal(await status(), 'running');
    assert.notDeepEqual(await cgroupsOf(id), [], 'a running container has its cgroup');
    const started1 = await inspect('compat-lc', '{{.State.StartedAt}}');

    const t0 = Date.now();
    assert.equal(await ok(['stop', 'compat-lc']), 'compat-lc\n');
    assert.ok(Date.now() - t0 < 5000, 'stop waited for the timeout though the container exits on SIGTERM');
    assert.equal(await inspect('compat-lc', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 42');

    assert.equal(await ok(['restart', 'compat-lc']), 'compat-lc\n');
    assert.equal(await status(), 'running');
    assert.notEqual(await inspect('compat-lc', '{{.State.StartedAt}}'), started1);

    assert.equal(await ok(['kill', 'compat-lc']), 'compat-lc\n');
    assert.equal(await inspect('compat-lc', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
    const killStopped = await docker(['kill', 'compat-lc']);
    assert.equal(killStopped.code, 1);
    assert.match(killStopped.stderr, new RegExp(`^Error response from daemon: Cannot kill container: compat-lc: container ${id} is not running$`, 'm'));
    for (const cmd of ['top', 'pause']) {
      const r = await docker([cmd, 'compat-lc']);
      assert.equal(r.code, 1, `${cmd} of a stopped container`);
      assert.match(r.stderr, new RegExp(`container ${id} is not running`), cmd);
    }

    await ok(['start', 'compat-lc']);
    assert.equal(await ok(['pause', 'compat-lc']), 'compat-lc\n');
    assert.equal(await status(), 'paused');
    assert.match(await ok(['ps', '--filter', 'name=compat-lc', '--format', '{{.Status}}']), /^Up .*\(Paused\)\n$/);
    assert.equal(await ok(['unpause', 'compat-lc']), 'compat-lc\n');
    assert.equal(await status(), 'running');

    // wait blocks until the container exits, then prints its exit code.
    const waiting = docker(['wait', 'compat-lc']);
    await sleep(300);
    await ok(['kill', '-s', 'TERM', 'compat-lc']);
    const w = await waiting;
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '42\n');
    // On a stopped container wait returns at once.
    assert.equal(await ok(['wait', 'compat-lc']), '42\n');

    await ok(['rename', 'compat-lc', 'compat-lc2']);
    assert.equal(await inspect('compat-lc2', '{{.Id}} {{.Name}}'), `${id} /compat-lc2`);
    assert.equal((await docker(['inspect', 'compat-lc'])).code, 1);
    const logs = await ok(['logs', 'compat-lc2']);
    // start, restart, start after the kill: three runs.
    assert.equal(logs, 'started\n'.repeat(3));

    assert.equal(await ok(['rm', 'compat-lc2']), 'compat-lc2\n');
    const gone = await docker(['inspect', id]);
    assert.equal(gone.code, 1);
    assert.deepEqual(await cgroupsOf(id), []);
    await assertClean('after the lifecycle');
  });

  it('rm -f $(docker ps -aq) removes running, paused, exited and created containers', async () => {
    await ok(['run', '-d', '--name', 'compat-all-1', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'compat-all-2', 'busybox', 'sleep', '1000']);
    await ok(['pause', 'compat-all-2']);
    await ok(['run', '--name', 'compat-all-3', 'busybox', 'true']);
    await ok(['create', '--name', 'compat-all-4', 'busybox', 'true']);
    await ok(['run', '-dit', '--name', 'compat-all-5', 'busybox', 'sh']);
    const ids = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
    assert.equal(ids.length, 5, ids.join(' '));
    const r = await docker(['rm', '-f', ...ids]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), ids);
    await assertClean('after rm -f $(docker ps -aq)');
  });

  it('attach to a background -it container; ctrl-p ctrl-q detaches and it keeps running', async () => {
    const id = (await ok(['run', '-dit', '--name', 'compat-att', 'busybox', 'sh'])).trim();
    const s = pty('docker attach compat-att');
    await sleep(300);
    s.send('echo attached-$((6*7))\r');
    await s.expect(/attached-42\r?\n/);
    s.send(CTRL_P_CTRL_Q);
    // docker attach reports the detach as the error "read escape sequence" (exit 1);
    // only `docker run -it` treats it as success.
    assert.equal(await s.exited(), 1, s.output());
    assert.match(s.output(), /read escape sequence/);
    assert.equal(await inspect(id, '{{.State.Status}}'), 'running');
    // The shell survived the detach: a second attach reaches the same shell.
    const s2 = pty('docker attach compat-att');
    await sleep(300);
    s2.send('echo again-$((6*7)); exit 9\r');
    await s2.expect(/again-42\r?\n/);
    assert.equal(await s2.exited(), 9, s2.output());
    assert.equal(await inspect(id, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 9');
    await ok(['rm', id]);
  });

  it('a stopped container starts again with its files intact', async () => {
    // Each run appends to a file in the container's own layer and prints how many runs it saw.
    const script = 'echo "run at $(date +%s)" >> /runs.txt; echo runs=$(wc -l < /runs.txt); trap "exit 0" TERM; while :; do sleep 0.1; done';
    const id = (await ok(['run', '-d', '--name', 'compat-keep', 'busybox', 'sh', '-c', script])).trim();
    await sleep(300);
    await ok(['stop', 'compat-keep']);
    assert.equal(await inspect(id, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');
    await ok(['start', 'compat-keep']);
    await sleep(300);
    assert.equal(await ok(['logs', 'compat-keep']), 'runs=1\nruns=2\n');
    await ok(['stop', 'compat-keep']);
    // A container that only writes, started again with -a, reads back what its first run wrote.
    await ok(['create', '--name', 'compat-keep2', 'busybox', 'sh', '-c', 'cat /note 2>/dev/null || { echo written-once > /note; echo first; }']);
    assert.equal(await ok(['start', '-a', 'compat-keep2']), 'first\n');
    assert.equal(await ok(['start', '-a', 'compat-keep2']), 'written-once\n');
    await ok(['rm', 'compat-keep', 'compat-keep2']);
  });

  it('bind mounts: -v creates a missing host directory, --mount type=bind refuses one', async () => {
    const made = path.join(work, 'bind-made', 'deep');
    const r = await docker(['run', '--rm', '-v', `${made}:/data`, 'busybox', 'sh', '-c', 'echo through-the-bind > /data/f; ls /data']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'f\n');
    assert.equal(await fsp.readFile(path.join(made, 'f'), 'utf8'), 'through-the-bind\n');
    const ro = await docker(['run', '--rm', '-v', `${made}:/data:ro`, 'busybox', 'sh', '-c', 'cat /data/f; echo x > /data/g']);
    assert.equal(ro.stdout, 'through-the-bind\n');
    assert.match(ro.stderr, /Read-only file system/);
    assert.notEqual(ro.code, 0);

    // A file binds too (and is not mistaken for a directory to create).
    const file = path.join(work, 'bind-file.txt');
    await fsp.writeFile(file, 'a file\n');
    const f = await docker(['run', '--rm', '-v', `${file}:/etc/bound.txt:ro`, 'busybox', 'cat', '/etc/bound.txt']);
    assert.equal(f.stdout, 'a file\n', f.stderr);

    const missing = path.join(work, 'bind-missing');
    const m = await docker(['run', '--rm', '--mount', `type=bind,src=${missing},dst=/data`, 'busybox', 'true']);
    assert.equal(m.code, 125, m.stderr);
    assert.match(m.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${missing}`));
    assert.equal(await fsp.stat(missing).then(() => true, () => false), false);
    await assertClean('bind mounts');
  });

  // ---- images ----------------------------------------------------------------------------

  it('images, tag, history, rmi', async () => {
    const images = (await ok(['images'])).split('\n');
    assert.match(images[0], /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    const bb = images.find((l) => /^busybox +latest +[0-9a-f]{12} /.test(l));
    assert.ok(bb, images.join('\n'));
    const short = bb.split(/ +/)[2];

    assert.equal(await ok(['tag', 'busybox', 'compat/tagged:v1']), '');
    assert.match(await ok(['images', 'compat/tagged']), new RegExp(`\\ncompat/tagged +v1 +${short} `));
    assert.equal(await ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', 'compat/tagged']), `compat/tagged:v1 ${short}\n`);
    assert.equal(await ok(['image', 'inspect', '--format', '{{json .RepoTags}}', 'compat/tagged:v1']).then((s) => JSON.parse(s).sort().join(',')), 'busybox:latest,compat/tagged:v1');

    const hist = (await ok(['history', 'busybox'])).split('\n');
    assert.match(hist[0], /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/);
    assert.ok(hist[1].startsWith(short + ' '), hist.join('\n'));
    assert.match(hist.join('\n'), /CMD \["sh"\]/);
    assert.equal(await ok(['history', '-q', 'busybox']).then((s) => s.split('\n')[0]), short);

    const bad = await docker(['tag', 'compat-no-such-image', 'compat/x:1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such image: compat-no-such-image/);

    assert.equal(await ok(['rmi', 'compat/tagged:v1']), 'Untagged: compat/tagged:v1\n');
    assert.doesNotMatch(await ok(['images']), /compat\/tagged/);
    const missing = await docker(['rmi', 'compat/tagged:v1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: compat\/tagged:v1/);

    // The last tag of an image a container uses is not removed without -f.
    await ok(['tag', 'busybox', 'compat/used:1']);
    await ok(['rmi', 'busybox']);
    await ok(['create', '--name', 'compat-user', 'compat/used:1', 'true']);
    const inUse = await docker(['rmi', 'compat/used:1']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /conflict: unable to remove repository reference "compat\/used:1" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
    await ok(['tag', 'compat/used:1', 'busybox']);
    await ok(['rm', 'compat-user']);
    await ok(['rmi', 'compat/used:1']);
    assert.match(await ok(['images', 'busybox']), /\nbusybox +latest +/);
  });

  it('save and load round-trip an image (file and pipe)', async () => {
    await ok(['tag', 'busybox', 'compat/saved:1']);
    const tar = path.join(work, 'saved.tar');
    assert.equal(await ok(['save', '-o', tar, 'compat/saved:1']), '');
    const listing = (await run('tar', ['-tf', tar])).stdout.split('\n');
    assert.ok(listing.includes('manifest.json'), listing.join(' '));
    await ok(['rmi', 'compat/saved:1']);
    assert.equal((await docker(['image', 'inspect', 'compat/saved:1'])).code, 1);
    assert.equal(await ok(['load', '-i', tar]), 'Loaded image: compat/saved:1\n');
    const r = await docker(['run', '--rm', 'compat/saved:1', 'echo', 'loaded-and-ran']);
    assert.equal(r.stdout, 'loaded-and-ran\n', r.stderr);
    // The same through stdout and stdin.
    const piped = await run('sh', ['-c', 'docker save compat/saved:1 | docker load'], { env: { DOCKER_HOST: d.host } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'Loaded image: compat/saved:1\n');
    await ok(['rmi', 'compat/saved:1']);
  });

  it('import makes an image from a root filesystem tar (with --change)', async () => {
    const root = path.join(work, 'rootfs');
    await fsp.mkdir(path.join(root, 'bin'), { recursive: true });
    await fsp.copyFile('/bin/busybox', path.join(root, 'bin/busybox'));
    await fsp.chmod(path.join(root, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'cat', 'ls']) await fsp.symlink('busybox', path.join(root, 'bin', applet));
    await fsp.writeFile(path.join(root, 'hello.txt'), 'imported-ok\n');
    const tar = path.join(work, 'rootfs.tar');
    const t = await run('tar', ['-C', root, '-cf', tar, '.']);
    assert.equal(t.code, 0, t.stderr);

    const out = await ok(['import', '--change', 'CMD ["/bin/cat", "/hello.txt"]', '--change', 'ENV GREETING=hi', tar, 'compat/imported:1']);
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(await ok(['image', 'inspect', '--format', '{{.Id}}', 'compat/imported:1']), out);
    assert.equal(await ok(['image', 'inspect', '--format', '{{json .Config.Cmd}}', 'compat/imported:1']), '["/bin/cat","/hello.txt"]\n');
    const r = await docker(['run', '--rm', 'compat/imported:1']);
    assert.equal(r.stdout, 'imported-ok\n', r.stderr);
    const env = await docker(['run', '--rm', 'compat/imported:1', 'sh', '-c', 'echo $GREETING; ls /']);
    assert.match(env.stdout, /^hi\n/);
    assert.match(env.stdout, /hello\.txt/);
    // From stdin.
    const piped = await run('sh', ['-c', `docker import - compat/imported:2 < ${tar}`], { env: { DOCKER_HOST: d.host } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal((await docker(['run', '--rm', 'compat/imported:2', '/bin/cat', '/hello.txt'])).stdout, 'imported-ok\n');

    // A save/load round trip of an image whose layer exists nowhere else: rmi deletes it all.
    const saved = path.join(work, 'imported.tar');
    await ok(['save', '-o', saved, 'compat/imported:1']);
    const rmi = await ok(['rmi', 'compat/imported:1', 'compat/imported:2']);
    assert.match(rmi, /^Untagged: compat\/imported:1\nDeleted: sha256:[0-9a-f]{64}\n/);
    assert.equal((await docker(['image', 'inspect', out.trim()])).code, 1);
    assert.equal(await ok(['load', '-i', saved]), 'Loaded image: compat/imported:1\n');
    assert.equal(await ok(['image', 'inspect', '--format', '{{.Id}}', 'compat/imported:1']), out);
    assert.equal((await docker(['run', '--rm', 'compat/imported:1'])).stdout, 'imported-ok\n');
    await ok(['rmi', 'compat/imported:1']);
  });

  // ---- berthd crash ----------------------------------------------------------------------

  it('berthd killed with SIGKILL and restarted: running containers run on, logs and attach work, exits are reported', async () => {
    // Each container waits for a file in a bind-mounted host dir: the test decides when it goes on.
    const trigger = path.join(work, 'trigger');
    await fsp.mkdir(trigger, { recursive: true });
    const waitFor = (f: string): string => `while [ ! -e /t/${f} ]; do sleep 0.1; done`;
    const logger = (await ok(['run', '-d', '--name', 'compat-crash-log', '-v', `${trigger}:/t`, 'busybox', 'sh', '-c', `echo before-crash; ${waitFor('log')}; echo after-crash`])).trim();
    const tty = (await ok(['run', '-dit', '--name', 'compat-crash-tty', 'busybox', 'sh'])).trim();
    const paused = (await ok(['run', '-d', '--name', 'compat-crash-paused', 'busybox', 'sleep', '1000'])).trim();
    await ok(['pause', paused]);
    const ender = (await ok(['run', '-d', '--name', 'compat-crash-end', '-v', `${trigger}:/t`, 'busybox', 'sh', '-c', `${waitFor('end')}; exit 7`])).trim();
    await sleep(200);

    await d.kill9();
    // While berthd is down, one container exits with 7 (its conmon goes with it). berthd
    // comes back whatever happens, so a failure here does not take the other tests down.
    await fsp.writeFile(path.join(trigger, 'end'), '');
    const deadline = Date.now() + 5000;
    let exited = false;
    while (!exited && Date.now() < deadline) {
      exited = !(await leftovers()).conmons.some((l) => l.includes(ender));
      if (!exited) await sleep(50);
    }
    const restartedAt = Date.now();
    await d.restart();
    assert.ok(exited, 'the container did not exit while berthd was down');

    assert.equal(await inspect(logger, '{{.State.Status}}'), 'running');
    assert.equal(await inspect(tty, '{{.State.Status}}'), 'running');
    assert.equal(await inspect(ender, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 7');
    // FinishedAt is when it exited, not when berthd noticed.
    const finishedAt = Date.parse(await inspect(ender, '{{.State.FinishedAt}}'));
    assert.ok(finishedAt <= restartedAt, `FinishedAt ${new Date(finishedAt).toISOString()} is after berthd came back (${new Date(restartedAt).toISOString()})`);
    assert.match(await ok(['ps', '-a', '--filter', 'name=compat-crash-end', '--format', '{{.Status}}']), /^Exited \(7\) /);
    assert.equal(await ok(['wait', ender]), '7\n');
    const running = (await ok(['ps', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
    assert.deepEqual(running, ['compat-crash-log', 'compat-crash-paused', 'compat-crash-tty']);
    assert.equal(await inspect(paused, '{{.State.Status}}'), 'paused');
    await ok(['unpause', paused]);
    assert.equal(await inspect(paused, '{{.State.Status}}'), 'running');

    // logs of a re-adopted container, and logs -f that ends when it stops.
    assert.equal(await ok(['logs', logger]), 'before-crash\n');
    const follow = docker(['logs', '-f', logger], undefined, 15_000);
    await sleep(300);
    await fsp.writeFile(path.join(trigger, 'log'), '');
    const f = await follow;
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, 'before-crash\nafter-crash\n');
    assert.equal(await inspect(logger, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');

    // attach to a re-adopted tty container.
    const s = pty(`docker attach ${tty.slice(0, 12)}`);
    await sleep(300);
    s.send('echo readopted-$((6*7))\r');
    await s.expect(/readopted-42\r?\n/);
    s.send(CTRL_P_CTRL_Q);
    assert.equal(await s.exited(), 1, s.output());
    assert.match(s.output(), /read escape sequence/);
    assert.equal(await inspect(tty, '{{.State.Status}}'), 'running');
    // And stop works on it.
    await ok(['stop', '-t', '1', tty]);
    assert.equal(await inspect(tty, '{{.State.Status}}'), 'exited');

    await removeAll();
    await assertClean('after the crash test');
  });

  // ---- bad input -------------------------------------------------------------------------

  describe('bad input: Docker\'s exit codes and messages, nothing left behind', () => {
    it('unknown image: 125, "Unable to find image"/"No such image"', async () => {
      const r = await docker(['run', 'compat-no-such-image:1.0', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /Unable to find image 'compat-no-such-image:1\.0' locally|No such image/);
      // docker create reports a daemon error with exit 1 (only run maps it to 125).
      const c = await docker(['create', 'compat-no-such-image:1.0']);
      assert.equal(c.code, 1, c.stderr);
      assert.match(c.stderr, /Unable to find image 'compat-no-such-image:1\.0' locally|No such image/);
      await assertClean('unknown image');
    });

    it('name conflict: 125, "is already in use"', async () => {
      const id = (await ok(['create', '--name', 'compat-dup', 'busybox', 'true'])).trim();
      const r = await docker(['run', '--name', 'compat-dup', 'busybox', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, new RegExp(`Conflict\\. The container name "/compat-dup" is already in use by container "${id}"`));
      const list = (await ok(['ps', '-aq'])).split('\n').filter(Boolean);
      assert.deepEqual(list, [id.slice(0, 12)]);
      await ok(['rm', 'compat-dup']);
      await assertClean('name conflict');
    });

    it('rm of a running container without -f: 1, "stop the container before removing or force remove"', async () => {
      const id = (await ok(['run', '-d', '--name', 'compat-busy', 'busybox', 'sleep', '1000'])).trim();
      const r = await docker(['rm', 'compat-busy']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^Error response from daemon: cannot remove container "compat-busy": container is running: stop the container before removing or force remove$/m);
      assert.equal(await inspect(id, '{{.State.Status}}'), 'running');
      await ok(['pause', id]);
      const paused = await docker(['rm', id.slice(0, 12)]);
      assert.equal(paused.code, 1, paused.stderr);
      assert.match(paused.stderr, new RegExp(`cannot remove container "${id.slice(0, 12)}": container is paused and must be unpaused first`));
      await ok(['rm', '-f', id]);
      await assertClean('rm without -f');
    });

    it('a command missing from the image: 127, "executable file not found"', async () => {
      const r = await docker(['run', '--name', 'compat-nocmd', 'busybox', 'compat-no-such-command']);
      assert.equal(r.code, 127, r.stderr);
      assert.match(r.stderr, /executable file not found/);
      // As with dockerd the record stays (never started, exit code 127), with nothing running or mounted.
      assert.equal(await inspect('compat-nocmd', '{{.State.Running}} {{.State.ExitCode}}'), 'false 127');
      const id = await inspect('compat-nocmd', '{{.Id}}');
      assert.deepEqual(await leftovers(), { mounts: [], conmons: [] });
      assert.deepEqual(await cgroupsOf(id), []);
      await ok(['rm', 'compat-nocmd']);
      // With --rm nothing at all remains.
      const rm = await docker(['run', '--rm', 'busybox', 'compat-no-such-command'], undefined, 15_000);
      assert.equal(rm.code, 127, rm.stderr);
      assert.match(rm.stderr, /executable file not found/);
      await assertClean('missing command');
    });

    it('a file that is not executable as the command: 126', async () => {
      const r = await docker(['run', '--rm', 'busybox', '/etc/passwd'], undefined, 15_000);
      assert.equal(r.code, 126, r.stderr);
      assert.match(r.stderr, /permission denied/);
      const c = await docker(['run', '--name', 'compat-dir-cmd', 'busybox', '/etc'], undefined, 15_000);
      assert.equal(c.code, 126, c.stderr);
      const id = await inspect('compat-dir-cmd', '{{.Id}}');
      assert.equal(await inspect(id, '{{.State.Running}} {{.State.ExitCode}}'), 'false 126');
      assert.deepEqual(await cgroupsOf(id), []);
      await ok(['rm', id]);
      await assertClean('not executable');
    });

    it('invalid container name: 125', async () => {
      const r = await docker(['run', '--name', 'compat bad/name', 'busybox', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /Invalid container name \(compat bad\/name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
      const c = await docker(['create', '--name', '-x', 'busybox', 'true']);
      assert.notEqual(c.code, 0);
      const ren = await ok(['create', '--name', 'compat-ren', 'busybox', 'true']);
      const rr = await docker(['rename', 'compat-ren', 'bad name']);
      assert.equal(rr.code, 1, rr.stderr);
      assert.match(rr.stderr, /Invalid container name/);
      await ok(['rm', ren.trim()]);
      await assertClean('invalid name');
    });

    it('invalid values (--memory 1k, --cpus, --cpuset-cpus, --stop-signal, ...): 125, refused before anything is created', async () => {
      const cases: [string[], RegExp][] = [
        [['--memory', '1k'], /Minimum memory limit allowed is 6MB/],
        [['--memory', 'abc'], /invalid argument "abc" for "-m, --memory" flag/],
        [['-w', 'relative/dir'], /the working directory 'relative\/dir' is invalid, it needs to be an absolute path/],
        [['--restart', 'bogus'], /invalid restart policy|bogus/],
        [['--cpus', '-1'], /invalid|range|negative/i],
        [['--cpus', '4096'], /range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/],
        [['--memory', '10m', '--memory-swap', '5m'], /Minimum memoryswap limit should be larger than memory limit, see usage/],
        [['--cpu-period', '100'], /CPU cfs period can not be less than 1ms \(i\.e\. 1000\) or larger than 1s \(i\.e\. 1000000\)/],
        [['--cpuset-cpus', '4095'], /Requested CPUs are not available - requested 4095, available: /],
        [['--stop-signal', 'BOGUS'], /Invalid signal: BOGUS/],
        [['--compat-bogus-flag'], /unknown flag: --compat-bogus-flag/],
      ];
      for (const [flags, message] of cases) {
        const r = await docker(['run', '--name', 'compat-invalid', ...flags, 'busybox', 'true']);
        assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message, flags.join(' '));
      }
      await assertClean('invalid values');
    });

    it('malformed API requests are 400s and poison nothing the docker CLI reads later', async () => {
      const bodies: unknown[] = [
        '{bad json',
        { Image: 'busybox', Cmd: 5 },
        { Image: 'busybox', Labels: { a: 1 } },
        { Image: 'busybox', HostConfig: { Mounts: [null] } },
        { Image: 'busybox', HostConfig: { Tmpfs: { '/x': 5 } } },
        { Image: 'busybox', HostConfig: { Ulimits: [null] } },
        { Image: 'busybox', Healthcheck: { Test: 5 } },
        { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Interval: 'often' } },
      ];
      for (const b of bodies) {
        const r = await d.api('POST', '/containers/create', b);
        assert.equal(r.status, 400, `${JSON.stringify(b)}: ${r.status} ${r.body}`);
        assert.equal(typeof r.json?.message, 'string');
      }
      const esc = await d.api('GET', '/containers/%E0%A4%A/json');
      assert.equal(esc.status, 400, esc.body);
      // The CLI decodes every list entry: one bad record would break `docker ps` for everyone.
      assert.equal(await ok(['ps', '-a', '--format', '{{.ID}}']), '');
      await assertClean('malformed requests');
    });

    it('the daemon survived every request', async () => {
      assert.equal(d.proc.exitCode, null);
      assert.equal(d.proc.signalCode, null);
      assert.match(await ok(['version', '--format', '{{.Server.Version}}']), /\S/);
    });
  });
});
