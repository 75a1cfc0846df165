import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeNetworkLeftovers, testNetwork } from './network.js';

/** The checkout's root (dist/test/helpers → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const berthdBin = path.join(repoRoot, 'bin/berthd');
export const berthBin = path.join(repoRoot, 'bin/berth');

export interface TestDaemon {
  name: string;
  dir: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  host: string;
  /** The daemon's own default bridge (also names its iptables chains). */
  bridge: string;
  /** A /24 of the daemon's own 10.123.x.0/21 block: 6 and 7 are free for --subnet in tests. */
  subnet(i: number): string;
  proc: ChildProcess;
  /** Everything berthd wrote to stderr so far. */
  log(): string;
  /** A raw API call: returns status, headers and body text. */
  api(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; json: any }>;
  /** SIGTERM and wait; containers keep running. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill9(): Promise<void>;
  /** Starts berthd again on the same roots. */
  restart(): Promise<void>;
  /** Removes every container (rm -f) and stops the daemon and its temp dirs. */
  cleanup(): Promise<void>;
}

/**
 * Starts a real berthd with a temporary data root, exec root and socket named after the
 * test, and its own bridge and 10.123.x.0/22 block (unless extraArgs name a --bridge).
 * Integration tests run as root with real runc, conmon, overlayfs, bridges and iptables.
 */
export async function startTestDaemon(name: string, extraArgs: string[] = []): Promise<TestDaemon> {
  const safe = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 20);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `berth-${safe}-`));
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'run');
  const socket = path.join(dir, 'berth.sock');
  const bi = extraArgs.indexOf('--bridge');
  const net = bi >= 0 ? { bridge: extraArgs[bi + 1], args: [] as string[], subnet: (i: number) => `10.123.${250 + i}.0/24` } : testNetwork();
  let proc!: ChildProcess;
  let stderr = '';
  const launch = async (): Promise<void> => {
    proc = spawn(
      berthdBin,
      // docker.io points at a closed loopback port: a test that pulls by accident must
      // never reach out of the machine (registry tests run their own registries).
      [
        '-H', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--log-level', process.env.BERTH_TEST_LOG ?? 'info',
        '--docker-io-endpoint', 'http://127.0.0.1:9', ...net.args, ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr!.on('data', (d) => {
      stderr += d.toString();
      if (process.env.BERTH_TEST_VERBOSE) process.stderr.write(d);
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}:\n${stderr}`);
      try {
        const r = await call(socket, 'GET', '/_ping');
        if (r.status === 200) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up:\n${stderr}`);
  };
  await launch();
  const waitExit = (): Promise<void> =>
    new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
  const d: TestDaemon = {
    name,
    dir,
    socket,
    dataRoot,
    execRoot,
    host: `unix://${socket}`,
    bridge: net.bridge,
    subnet: net.subnet,
    get proc() {
      return proc;
    },
    log: () => stderr,
    api: (method, p, body, headers) => call(socket, method, p, body, headers),
    async stop() {
      proc.kill('SIGTERM');
      await waitExit();
    },
    async kill9() {
      proc.kill('SIGKILL');
      await waitExit();
    },
    restart: launch,
    async cleanup() {
      try {
        if (proc.exitCode === null && proc.signalCode === null) {
          const list = await call(socket, 'GET', '/containers/json?all=1');
          for (const c of (list.json ?? []) as { Id: string }[]) {
            await call(socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
          }
          await d.stop();
        }
      } finally {
        await sweepTasks(dir, dataRoot);
        await sweepMounts(dir);
        if (net.bridge !== 'none') await removeNetworkLeftovers(net.bridge, dataRoot).catch(() => undefined);
        await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
  return d;
}

/**
 * Ends every container task a failed test (or a crash test) left behind: their conmons
 * name this test's dirs, their processes sit in /berth/<id> cgroups. Frozen (paused)
 * ones are thawed first, or SIGKILL never lands. Then the empty cgroups go.
 */
async function sweepTasks(dir: string, dataRoot: string): Promise<void> {
  const ids = new Set<string>();
  try {
    for (const n of await fsp.readdir(path.join(dataRoot, 'containers'))) if (/^[0-9a-f]{64}$/.test(n)) ids.add(n);
  } catch {
    /* no containers dir */
  }
  const conmons: number[] = [];
  for (const p of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await fsp.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.startsWith('conmon') && !cmd.includes('/conmon\0')) continue;
    if (!cmd.includes(dir)) continue;
    conmons.push(Number(p));
    const args = cmd.split('\0');
    const c = args.indexOf('-c');
    if (c >= 0 && /^[0-9a-f]{64}$/.test(args[c + 1] ?? '')) ids.add(args[c + 1]);
  }
  if (ids.size === 0 && conmons.length === 0) return;
  const controllers = await fsp.readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  const groups = (id: string): string[] => [
    ...controllers.map((c) => `/sys/fs/cgroup/${c}/berth/${id}`),
    `/sys/fs/cgroup/berth/${id}`,
  ];
  for (const id of ids) {
    await fsp.writeFile(`/sys/fs/cgroup/freezer/berth/${id}/freezer.state`, 'THAWED').catch(() => undefined);
    for (const g of groups(id)) {
      const procs = await fsp.readFile(`${g}/cgroup.procs`, 'utf8').catch(() => '');
      for (const pid of procs.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const pid of conmons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const id of ids) for (const g of groups(id)) await fsp.rmdir(g).catch(() => undefined);
}

/** Unmounts anything a failed test left mounted below its temp dir (deepest first). */
async function sweepMounts(dir: string): Promise<void> {
  const mounts = (await fsp.readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    await new Promise((r) => spawn('umount', ['-l', m]).on('exit', r));
  }
}

export function call(
  socket: string,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; json: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request(
      {
        socketPath: socket,
        method,
        path: p,
        headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Runs a command and collects its output (for the berth and docker CLIs in tests). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}
