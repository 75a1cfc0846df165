/** Docker's restart manager: whether a container that exited comes back, and after how long. */
export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;

/**
 * `previousDelay` is the delay used last time (0 if none); a run of 10 s or more resets
 * the back-off. A manual stop (docker stop/kill) ends every policy until the next start.
 */
export function restartDecision(
  policy: RestartPolicy,
  exitCode: number,
  restartCount: number,
  manuallyStopped: boolean,
  ranMs: number,
  previousDelay: number,
): { restart: boolean; delay: number } {
  let restart = false;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      restart = !manuallyStopped;
      break;
    case 'on-failure':
      restart = !manuallyStopped && exitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
      break;
  }
  let delay = ranMs >= 10_000 ? 0 : previousDelay;
  delay = delay === 0 ? FIRST_DELAY_MS : Math.min(delay * 2, MAX_DELAY_MS);
  return { restart, delay };
}

/** Whether a container that is not running is started when the daemon starts. */
export function startsWithDaemon(policy: RestartPolicy, exitCode: number, restartCount: number, manuallyStopped: boolean): boolean {
  switch (policy.Name) {
    case 'always':
      // "If it is manually stopped, it is restarted only when the daemon restarts."
      return true;
    case 'unless-stopped':
      return !manuallyStopped;
    case 'on-failure':
      return !manuallyStopped && exitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}
