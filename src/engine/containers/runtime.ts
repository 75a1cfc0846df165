import type { Duplex } from 'node:stream';

/** What the containers engine asks of an OCI runtime driver (conmon + runc). */
export interface TaskSpec {
  id: string;
  /** The OCI runtime spec (config.json). */
  spec: Record<string, unknown>;
  tty: boolean;
  /** Keep a stdin pipe to the process (Config.OpenStdin). */
  openStdin: boolean;
  /** Close the container's stdin when the first attached client detaches (Config.StdinOnce). */
  stdinOnce: boolean;
  /** k8s-file log of everything the process writes. */
  logPath: string;
  runtime: string;
}

export interface TaskState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

/**
 * A thin wrapper over the OCI runtime: no state machine here (the engine checks state
 * before every call). Tasks outlive berthd: everything needed to find one again lives
 * in files under the exec root.
 */
export interface ContainerRuntime {
  /** Creates the task (runc create via conmon) and returns the container's pid; not yet started. */
  create(task: TaskSpec): Promise<{ pid: number }>;
  start(id: string, runtime: string): Promise<void>;
  kill(id: string, signal: string, runtime: string, all?: boolean): Promise<void>;
  pause(id: string, runtime: string): Promise<void>;
  resume(id: string, runtime: string): Promise<void>;
  /** Removes the runtime's record and the task's files (bundle, exit file). */
  delete(id: string, runtime: string): Promise<void>;
  state(id: string, runtime: string): Promise<TaskState | undefined>;
  /** Host pids of every process in the container. */
  pids(id: string, runtime: string): Promise<number[]>;
  /** The exit code once the task has exited, from the monitor's exit file. */
  exitCode(id: string): Promise<number | undefined>;
  /** When the task exited (the monitor wrote its exit file), for exits berthd did not see happen. */
  exitTime(id: string): Promise<Date | undefined>;
  /** Is the task's monitor (conmon) still alive? */
  monitorAlive(id: string): Promise<boolean>;
  /** Calls back once for every task exit (also for exits that happened while berthd was down, on re-scan). */
  onExit(cb: (id: string, code: number) => void): void;
  /** Opens the task's attach channel: output as [streamId(1|2), data], input as raw bytes. */
  attach(id: string): Promise<AttachChannel>;
  resize(id: string, rows: number, cols: number): Promise<void>;
  /** Did the kernel OOM-kill a process of this task? Read before delete (which removes the cgroup). */
  oomKilled(id: string, runtime: string): Promise<boolean>;
  /** Changes the resource limits of a running task (docker update). */
  update(id: string, runtime: string, resources: Record<string, unknown>): Promise<void>;
  /** Files a task leaves that say it existed (for re-adoption). */
  taskExists(id: string): Promise<boolean>;
  /**
   * Starts another process in the running task (docker exec). Resolves once it runs;
   * rejects with the runtime's error (missing binary, bad cwd, ...) when it cannot start.
   */
  exec(spec: ExecSpec): Promise<ExecProcess>;
  close(): void;
}

/** An exec: the container's own process spec with these fields replaced. */
export interface ExecSpec {
  containerId: string;
  /** Unique per exec (64 hex chars); the driver keeps the exec's files under it. */
  execId: string;
  /** OCI process fields that replace the container's (args, env, cwd, user, terminal, consoleSize, capabilities). */
  process: Record<string, unknown>;
  tty: boolean;
  openStdin: boolean;
  /** Connect the attach channel before the process starts, so no output is lost. */
  attach: boolean;
  runtime: string;
}

export interface ExecProcess {
  pid: number;
  /** Set when `attach` was asked for. */
  channel?: AttachChannel;
  /** Resolves with the exit code (never rejects). */
  exited: Promise<number>;
  resize(rows: number, cols: number): Promise<void>;
}

export interface AttachChannel {
  onData(cb: (stream: 1 | 2, data: Buffer) => void): void;
  onEnd(cb: () => void): void;
  write(data: Buffer): void;
  /** Half-close: the container's stdin sees EOF (unless it was opened to stay open). */
  closeStdin(): void;
  close(): void;
}

export type { Duplex };
