/**
 * berth: the CLI, a client of berthd's Docker Engine API with Docker's grammar.
 * The process exits once its output is flushed, with the command's status.
 */
import { main } from '../cli/root.js';

const status = await main(process.argv.slice(2), {
  streams: { out: process.stdout, err: process.stderr, in: process.stdin },
  env: process.env,
});

// Let pending writes (a pipe may be slow to drain) finish before exiting.
let pending = 2;
const done = (): void => {
  if (--pending === 0) process.exit(status);
};
process.stdout.write('', done);
process.stderr.write('', done);
