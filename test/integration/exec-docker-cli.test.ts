/**
 * The "Must show" for exec, with the real docker CLI (v28) against berthd:
 * `exec -it NAME /bin/echo "Hello, Docker!"` on a pty, -u, -w, -e, -d, -i and exit codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { run, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/busybox.js';

let d: TestDaemon;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function docker(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('docker', args, { env: { DOCKER_HOST: d.host }, timeoutMs: 60_000, input });
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Runs a docker command on a pseudo-terminal (script(1)), as a user at a terminal would.
 * script's stdin stays open until the command ends: at EOF script stops relaying the
 * terminal's output and some of it is lost.
 */
function onTty(cmd: string, input = ''): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.on('data', (c) => (stdout += c));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout });
    });
    if (input) p.stdin.write(input);
  });
}

describe('docker exec (docker CLI)', () => {
  before(async () => {
    d = await startTestDaemon('exec-cli');
    await loadBusybox(d);
    await ok('run', '-d', '--name', 'apache', '--network', 'none', 'busybox', 'sleep', '600');
  });
  after(async () => d?.cleanup());

  test('exec -it NAME /bin/echo "Hello, Docker!"', async () => {
    const r = await onTty(`docker exec -it apache /bin/echo "Hello, Docker!"`);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Hello, Docker!\r\n');
  });

  test('an interactive shell on a pty', async () => {
    const r = await onTty('docker exec -it apache sh', 'echo in-the-shell $((6*7))\nexit 5\n');
    assert.match(r.stdout, /in-the-shell 42/);
    assert.equal(r.code, 5);
  });

  test('-u, -w, -e, -i', async () => {
    assert.equal((await ok('exec', '-u', 'nobody', 'apache', 'id', '-un')).trim(), 'nobody');
    assert.equal((await ok('exec', '-u', '1000:1000', 'apache', 'id')).trim(), 'uid=1000 gid=1000 groups=1000');
    assert.equal((await ok('exec', '-w', '/etc', 'apache', 'pwd')).trim(), '/etc');
    assert.equal((await ok('exec', '-e', 'GREETING=hi there', '-e', 'PATH=/bin', 'apache', 'sh', '-c', 'echo "$GREETING|$PATH"')).trim(), 'hi there|/bin');
    const piped = await docker(['exec', '-i', 'apache', 'sh', '-c', 'tr a-z A-Z'], 'shout this\n');
    assert.equal(piped.stdout, 'SHOUT THIS\n');
  });

  test('-d runs in the background', async () => {
    const r = await docker(['exec', '-d', 'apache', 'sh', '-c', 'sleep 0.3; echo done > /tmp/detached']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    let content = '';
    for (let i = 0; i < 30 && !content; i++) {
      await sleep(100);
      content = (await docker(['exec', 'apache', 'cat', '/tmp/detached'])).stdout;
    }
    assert.equal(content, 'done\n');
  });

  test('exit codes: the command’s, 127 for a missing binary, 126 for a non-executable one', async () => {
    assert.equal((await docker(['exec', 'apache', 'sh', '-c', 'exit 42'])).code, 42);
    const missing = await docker(['exec', 'apache', 'nope']);
    assert.equal(missing.code, 127);
    assert.match(missing.stdout + missing.stderr, /OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in \$PATH: unknown/);
    const denied = await docker(['exec', 'apache', '/etc/passwd']);
    assert.equal(denied.code, 126);
    assert.match(denied.stdout + denied.stderr, /permission denied/);
  });

  test('refused: unknown user, stopped and paused containers', async () => {
    const user = await docker(['exec', '-u', 'nosuch', 'apache', 'true']);
    assert.notEqual(user.code, 0);
    assert.match(user.stderr, /unable to find user nosuch: no matching entries in passwd file/);
    await ok('create', '--name', 'stopped', '--network', 'none', 'busybox', 'true');
    const stopped = await docker(['exec', 'stopped', 'true']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /Error response from daemon: container [0-9a-f]{64} is not running/);
    await ok('pause', 'apache');
    try {
      const paused = await docker(['exec', 'apache', 'true']);
      assert.equal(paused.code, 1);
      assert.match(paused.stderr, /is paused, unpause the container before exec/);
    } finally {
      await ok('unpause', 'apache');
    }
  });
});
