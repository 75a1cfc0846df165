import { parseDaemonArgs, daemonUsage } from '../daemon/options.js';
import { startDaemon } from '../daemon/daemon.js';
import { BERTH_VERSION } from '../engine/system/system-service.js';
import { log, setLogLevel } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';

async function main(): Promise<void> {
  const parsed = await parseDaemonArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(daemonUsage());
    return;
  }
  if (parsed === 'version') {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    return;
  }
  setLogLevel(parsed.logLevel);
  const daemon = await startDaemon(parsed);
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    // Containers keep running: they belong to their conmon, not to berthd.
    log.info(`Processing signal '${sig}'`);
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { err: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('terminated'));
  process.on('SIGINT', () => stop('interrupt'));
  process.on('uncaughtException', (err) => log.error('uncaught exception', { err: errorMessage(err), stack: err.stack ?? '' }));
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err: errorMessage(err), stack: (err as Error)?.stack ?? '' }));
}

main().catch((err) => {
  process.stderr.write(`berthd: ${errorMessage(err)}\n`);
  process.exit(1);
});
