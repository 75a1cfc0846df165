import { spawn, type SpawnOptions } from 'node:child_process';
import { SystemError } from '../../lib/errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The seam every driver uses to run a host program (mount, runc, tar, ps, iptables).
 * Never for runc create/run: those hand runc's stdio to the container (go through conmon).
 */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] };
    const p = spawn(cmd, args, so);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout!.on('data', (d: Buffer) => out.push(d));
    p.stderr!.on('data', (d: Buffer) => err.push(d));
    p.on('error', (e) => reject(new SystemError(`${cmd}: ${e.message}`, { cause: e })));
    p.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    p.stdin!.on('error', () => undefined);
    p.stdin!.end(opts.input);
  });
}

/** Runs a program and fails with its stderr when it exits non-zero. */
export async function checkCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) {
    const msg = (r.stderr || r.stdout).trim();
    throw new SystemError(`${cmd} ${args[0] ?? ''}: ${msg || `exit status ${r.code}`}`);
  }
  return r.stdout;
}
