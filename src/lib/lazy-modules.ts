import { createRequire } from 'node:module';
import type * as TarStream from 'tar-stream';

const require = createRequire(import.meta.url);
let tar: typeof TarStream | undefined;

/**
 * tar-stream, loaded on first use: it (and the stream library under it) costs berthd
 * ~8 MB of resident memory, and most of the time no archive is being read or written.
 */
export function tarStream(): typeof TarStream {
  tar ??= require('tar-stream') as typeof TarStream;
  return tar;
}
