/**
 * berth's CLI against a real berthd (runc, conmon, overlayfs) with the busybox image
 * made from the host's busybox-static. Resources carry the test's name.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { berthBin, repoRoot, run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const d: TestDaemon = await startTestDaemon('cli');

/** Loads busybox:latest; a missing image route skips what needs an image. */
async function loadBusybox(): Promise<string | undefined> {
  const archive = execFileSync(process.execPath, [path.join(repoRoot, 'dist/src/tools/make-busybox-image.js')], { maxBuffer: 64 << 20 });
  const r = await d.api('POST', '/images/load?quiet=1', archive, { 'Content-Type': 'application/x-tar' });
  if (r.status === 404 && /page not found/.test(r.body)) return 'the daemon has no POST /images/load yet';
  assert.equal(r.status, 200, r.body);
  return undefined;
}
const noImage = await loadBusybox();

after(async () => {
  await d.cleanup();
});

function berth(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(berthBin, ['-H', d.host, ...args], opts);
}

describe('berth CLI with a real daemon', () => {
  it('runs echo and prints its output', { skip: noImage }, async () => {
    const r = await berth(['run', '--rm', 'busybox', 'echo', 'hello from berth']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'hello from berth\n');
    assert.equal(r.code, 0);
  });

  it('exits with the container’s exit code and keeps stdout and stderr apart', { skip: noImage }, async () => {
    const r = await berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
  });

  it('feeds stdin with -i', { skip: noImage }, async () => {
    const r = await berth(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'piped\n' });
    assert.equal(r.stdout, 'piped\n');
    assert.equal(r.code, 0);
  });

  it('runs detached, lists, shows logs, stops and removes', { skip: noImage }, async () => {
    const name = 'cli-basic-web';
    const started = await berth(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo started; exec sleep 300']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    const ps = await berth(['ps']);
    assert.equal(ps.code, 0, ps.stderr);
    const lines = ps.stdout.split('\n');
    assert.match(lines[0], /^CONTAINER ID {3}IMAGE {5,}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {3,}NAMES$/);
    const row = lines.find((l) => l.endsWith(name));
    assert.ok(row, ps.stdout);
    assert.ok(row.startsWith(id.slice(0, 12)));
    assert.match(row, /busybox/);
    assert.match(row, /"sh -c 'echo started…"/);
    assert.match(row, /Up (Less than a second|\d+ seconds?)/);

    const q = await berth(['ps', '-q']);
    assert.ok(q.stdout.split('\n').includes(id.slice(0, 12)));

    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('started'); i++) {
      logs = (await berth(['logs', name])).stdout;
      if (!logs.includes('started')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(logs, 'started\n');

    const stop = await berth(['stop', '-t', '1', name]);
    assert.equal(stop.stdout, `${name}\n`);
    assert.equal(stop.code, 0, stop.stderr);
    const status = await berth(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']);
    assert.match(status.stdout, /^Exited \(\d+\) (Less than a second|\d+ seconds?) ago\n$/);

    const rm = await berth(['rm', name]);
    assert.equal(rm.stdout, `${name}\n`);
    assert.equal(rm.code, 0, rm.stderr);
    const gone = await berth(['ps', '-aq', '--no-trunc']);
    assert.ok(!gone.stdout.includes(id));
  });

  it('inspects with --format and as a JSON array', { skip: noImage }, async () => {
    const created = await berth(['create', '--name', 'cli-basic-inspect', '-e', 'FOO=bar', 'busybox', 'true']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    const f = await berth(['inspect', '--format', '{{.State.Status}} {{.Config.Image}} {{index .Config.Env 0}}', 'cli-basic-inspect']);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /^created busybox /);
    const j = await berth(['container', 'inspect', id.slice(0, 12)]);
    assert.ok(j.stdout.startsWith('[\n    {\n'));
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed[0].Id, id);
    assert.ok(parsed[0].Config.Env.includes('FOO=bar'));
    await berth(['rm', id]);
  });

  it('goes through the lifecycle: create, start, pause, unpause, restart, top, kill, wait, rename, rm', { skip: noImage }, async () => {
    const c = await berth(['create', '--name', 'cli-basic-life', 'busybox', 'sleep', '300']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await berth(['ps', '-a', '--filter', 'name=cli-basic-life', '--format', '{{.Status}}'])).stdout, 'Created\n');
    for (const cmd of ['start', 'pause', 'unpause', 'restart']) {
      const r = await berth([cmd, 'cli-basic-life']);
      assert.equal(r.stdout, 'cli-basic-life\n', `${cmd}: ${r.stderr}`);
      assert.equal(r.code, 0);
    }
    const top = await berth(['top', 'cli-basic-life']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout.split('\n')[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.match(top.stdout, /sleep 300/);
    const wait = berth(['wait', 'cli-basic-life']);
    const kill = await berth(['kill', 'cli-basic-life']);
    assert.equal(kill.stdout, 'cli-basic-life\n');
    const w = await wait;
    assert.equal(w.stdout, '137\n');
    const rn = await berth(['rename', 'cli-basic-life', 'cli-basic-life2']);
    assert.equal(rn.code, 0, rn.stderr);
    const rm = await berth(['rm', 'cli-basic-life2', 'cli-basic-nonexistent']);
    assert.equal(rm.code, 1);
    assert.equal(rm.stdout, 'cli-basic-life2\n');
    assert.equal(rm.stderr, 'Error response from daemon: No such container: cli-basic-nonexistent\n');
  });

  it('fails for an unknown image like docker run (exit 125)', async () => {
    const r = await berth(['run', 'cli-basic-no-such-image']);
    assert.equal(r.code, 125);
    assert.ok(r.stderr.startsWith("Unable to find image 'cli-basic-no-such-image:latest' locally\nberth: Error response from daemon: "), r.stderr);
    assert.ok(r.stderr.endsWith("\n\nRun 'berth run --help' for more information\n"), r.stderr);
  });

  it('exits 127 for a command missing from the image', { skip: noImage }, async () => {
    const r = await berth(['run', '--rm', 'busybox', 'cli-basic-no-such-command']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /^berth: Error response from daemon: .*(executable file not found|no such file or directory)/);
  });

  it('rejects an unknown flag (exit 125)', async () => {
    const r = await berth(['run', '--foo', 'busybox']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "unknown flag: --foo\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  });

  it('runs -it in a terminal: the hostname is the ID prefix, exit ends it', { skip: noImage }, async () => {
    const name = 'cli-basic-tty';
    const cmd = `${berthBin} -H ${d.host} run -it --name ${name} busybox sh`;
    // script(1) gives berth a pty; its own stdin is a pipe we type into.
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
    let output = '';
    p.stdout.on('data', (c) => (output += c));
    p.stderr.on('data', (c) => (output += c));
    const waitFor = async (re: RegExp, ms = 10_000): Promise<void> => {
      const end = Date.now() + ms;
      while (!re.test(output)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; got:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
    // ash may ask the terminal for the cursor position (ESC[6n) after its prompt.
    const esc = String.fromCharCode(27);
    await waitFor(new RegExp(`[#$] (${esc}\\[6n)?$`));
    p.stdin.write('hostname\n');
    await waitFor(/hostname\r?\n[0-9a-f]{12}\r?\n/);
    p.stdin.write('exit\n');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (code === 'timeout') p.kill('SIGKILL');
    assert.equal(code, 0, output);
    const id = (await berth(['inspect', '--format', '{{.Id}}', name])).stdout.trim();
    assert.match(output, new RegExp(`hostname\\r?\\n${id.slice(0, 12)}\\r?\\n`));
    assert.equal((await berth(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'exited\n');
    await berth(['rm', name]);
  });

  it('lists, tags, removes, saves and loads images', { skip: noImage }, async () => {
    const images = await berth(['images']);
    assert.equal(images.code, 0, images.stderr);
    assert.match(images.stdout.split('\n')[0], /^REPOSITORY {3,}TAG {7}IMAGE ID {7}CREATED {3,}SIZE$/);
    assert.match(images.stdout, /\nbusybox {3,}latest {4}[0-9a-f]{12} {3}/);
    const tag = await berth(['tag', 'busybox', 'cli-basic-tag:1']);
    assert.equal(tag.code, 0, tag.stderr);
    assert.match((await berth(['images', 'cli-basic-tag'])).stdout, /\ncli-basic-tag {3,}1 /);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-basic-'));
    try {
      const tar = path.join(dir, 'img.tar');
      const save = await berth(['save', '-o', tar, 'cli-basic-tag:1']);
      assert.equal(save.code, 0, save.stderr);
      assert.ok((await fsp.stat(tar)).size > 0);
      const rmi = await berth(['rmi', 'cli-basic-tag:1']);
      assert.equal(rmi.stdout, 'Untagged: cli-basic-tag:1\n');
      const load = await berth(['load', '-i', tar]);
      assert.equal(load.code, 0, load.stderr);
      assert.equal(load.stdout, 'Loaded image: cli-basic-tag:1\n');
      await berth(['rmi', 'cli-basic-tag:1']);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
    const history = await berth(['history', 'busybox']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout.split('\n')[0], /^IMAGE {3,}CREATED {3,}CREATED BY {3,}SIZE {3,}COMMENT$/);
  });

  it('shows version and info', async () => {
    const v = await berth(['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^Client:\n Version: +\S+\n API version: +1\.45\n/);
    assert.match(v.stdout, /\n\nServer:.*\n Engine:\n {2}Version: +\S+\n {2}API version: +1\.\d+ \(minimum version 1\.\d+\)\n/);
    const i = await berth(['system', 'info']);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /\nServer:\n Containers: \d+\n {2}Running: \d+\n {2}Paused: \d+\n {2}Stopped: \d+\n Images: \d+\n/);
    assert.match(i.stdout, / Docker Root Dir: /);
    const f = await berth(['info', '--format', '{{.OSType}}']);
    assert.equal(f.stdout, 'linux\n');
  });
});
