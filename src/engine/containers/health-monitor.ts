import { PassThrough } from 'node:stream';
import { errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { EventBus } from '../events.js';
import type { HealthConfig } from '../images/image-types.js';
import type { ContainerRecord, HealthState } from './container-record.js';

/** What health checks need: the container, a way to record results, and exec. */
export interface HealthTarget {
  resolve(ref: string): ContainerRecord;
  setHealth(id: string, health: HealthState, changed: boolean): Promise<void>;
}
export interface HealthExec {
  create(ref: string, body: { Cmd: string[]; AttachStdout: boolean; AttachStderr: boolean }): Promise<{ Id: string }>;
  start(id: string, o: { Detach?: boolean; Tty?: boolean }, io?: { client: PassThrough; write: (stream: number, data: Buffer) => void }): Promise<void>;
  inspect(id: string): Record<string, unknown>;
}

const NS = 1_000_000;
const DEFAULTS = { interval: 30_000, timeout: 30_000, startPeriod: 0, retries: 3 };
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The probe's argv: CMD runs as given, CMD-SHELL through /bin/sh -c; NONE and empty disable it. */
export function probeCommand(test: string[] | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  if (test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : undefined;
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? ['/bin/sh', '-c', test.slice(1).join(' ')] : undefined;
  return undefined;
}

/** Applies one probe result to the health state as dockerd does (start period, retries). */
export function applyResult(
  h: HealthState,
  result: { Start: string; End: string; ExitCode: number; Output: string },
  retries: number,
  inStartPeriod: boolean,
): { health: HealthState; changed: boolean } {
  const next: HealthState = { ...h, Log: [...h.Log, result].slice(-MAX_LOG) };
  if (result.ExitCode === 0) {
    next.Status = 'healthy';
    next.FailingStreak = 0;
  } else if (inStartPeriod && h.Status !== 'healthy') {
    // Failures while the container is still starting do not count.
  } else {
    next.FailingStreak = h.FailingStreak + 1;
    if (next.FailingStreak >= retries) next.Status = 'unhealthy';
  }
  return { health: next, changed: next.Status !== h.Status };
}

export function healthSettings(c: HealthConfig | undefined): { interval: number; timeout: number; startPeriod: number; retries: number } {
  return {
    interval: c?.Interval ? c.Interval / NS : DEFAULTS.interval,
    timeout: c?.Timeout ? c.Timeout / NS : DEFAULTS.timeout,
    startPeriod: c?.StartPeriod ? c.StartPeriod / NS : DEFAULTS.startPeriod,
    retries: c?.Retries ? c.Retries : DEFAULTS.retries,
  };
}

/**
 * Runs each running container's health check (docker's HEALTHCHECK) through exec, on the
 * container's own schedule. Follows container start/die events, so it needs no hooks in
 * the containers engine beyond recording the result.
 */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly containers: HealthTarget,
    private readonly execs: HealthExec,
    private readonly events: EventBus,
  ) {
    events.subscribe((e) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'start') this.watch(e.Actor.ID);
      else if (e.Action === 'die' || e.Action === 'destroy') this.unwatch(e.Actor.ID);
    });
  }

  /** Resumes checks of containers that were running when the daemon started. */
  adopt(running: ContainerRecord[]): void {
    for (const rec of running) if (rec.State.Running && !rec.State.Restarting) this.watch(rec.Id, false);
  }

  private watch(id: string, reset = true): void {
    let rec: ContainerRecord;
    try {
      rec = this.containers.resolve(id);
    } catch {
      return;
    }
    const argv = probeCommand(rec.Config.Healthcheck?.Test);
    if (!argv) return;
    this.unwatch(id);
    if (reset || !rec.State.Health) {
      void this.containers.setHealth(id, { Status: 'starting', FailingStreak: 0, Log: [] }, false);
    }
    const s = healthSettings(rec.Config.Healthcheck);
    const startedAt = Date.parse(rec.State.StartedAt);
    const tick = (): void => {
      this.timers.set(
        id,
        setTimeout(() => {
          void this.probe(id, argv, s.timeout, Date.now() - startedAt < s.startPeriod, s.retries).finally(() => {
            if (this.timers.has(id)) tick();
          });
        }, s.interval),
      );
    };
    tick();
  }

  private unwatch(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.unwatch(id);
  }

  private async probe(id: string, argv: string[], timeoutMs: number, inStartPeriod: boolean, retries: number): Promise<void> {
    const start = new Date().toISOString();
    let output = '';
    let exitCode: number;
    try {
      const { Id: execId } = await this.execs.create(id, { Cmd: argv, AttachStdout: true, AttachStderr: true });
      const client = new PassThrough();
      const run = this.execs.start(execId, { Detach: false, Tty: false }, {
        client,
        write: (_s, d) => {
          if (output.length < MAX_OUTPUT) output += d.toString('utf8');
          return true;
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        run.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        const pid = Number(this.execs.inspect(execId).Pid ?? 0);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        exitCode = -1;
        output = `Health check exceeded timeout (${timeoutMs / 1000}s)`;
      } else {
        exitCode = Number(this.execs.inspect(execId).ExitCode ?? 1);
      }
    } catch (err) {
      // The container stopped under us, or the probe cannot run at all (missing binary: 126/127).
      if (!this.timers.has(id)) return;
      exitCode = /not running|is paused/.test(errorMessage(err)) ? -2 : 1;
      if (exitCode === -2) return;
      output = errorMessage(err);
    }
    if (!this.timers.has(id)) return;
    let rec: ContainerRecord;
    try {
      rec = this.containers.resolve(id);
    } catch {
      return;
    }
    const current = rec.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const { health, changed } = applyResult(current, { Start: start, End: new Date().toISOString(), ExitCode: exitCode, Output: output.slice(0, MAX_OUTPUT) }, retries, inStartPeriod);
    try {
      await this.containers.setHealth(id, health, changed);
    } catch (err) {
      log.warn('cannot record health', { id, err: errorMessage(err) });
    }
  }
}
