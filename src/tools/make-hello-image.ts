#!/usr/bin/env node
/**
 * Writes to stdout a `docker save` tarball of `berth/hello:latest`: the busybox layer
 * plus one layer with an executable /hello.sh (the image's command) that prints the
 * container's hostname, kernel and address like the book's "Hello from Chapter 2!".
 *
 *   node dist/src/tools/make-hello-image.js | bin/berth load
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImageConfigBlob } from '../engine/images/image-types.js';
import { DEFAULT_PATH, FIXED_TIME, busyboxConfig, busyboxLayer, sha256, tarBuffer, writeArchiveToStdout } from './make-busybox-image.js';

/**
 * The address line: `inet addr:...` of eth0 as busybox ifconfig prints it, trimmed; with
 * no eth0, that of the first non-loopback interface that has one, else loopback's.
 */
export const HELLO_SCRIPT = `#!/bin/sh
addr=$(ifconfig eth0 2>/dev/null | grep 'inet addr')
if [ -z "$addr" ]; then
  addr=$(ifconfig 2>/dev/null | awk '/^[^ \\t]/ { ifname = $1 } /inet addr/ && ifname != "lo" { print; exit }')
fi
if [ -z "$addr" ]; then
  addr=$(ifconfig lo 2>/dev/null | grep 'inet addr')
fi
addr=$(echo "$addr" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')

echo "---------------------"
echo "Hello from Chapter 2!"
echo "---------------------"
echo "My name is:"
hostname
echo "---------------------"
echo "Im running on:"
uname -srm
echo "---------------------"
echo "My address is:"
echo "$addr"
echo "---------------------"
`;

export async function helloLayer(): Promise<Buffer> {
  return tarBuffer([{ name: 'hello.sh', type: 'file', mode: 0o755, body: HELLO_SCRIPT }]);
}

export function helloConfig(busyboxDiffId: string, helloDiffId: string): ImageConfigBlob {
  const base = busyboxConfig(busyboxDiffId);
  return {
    architecture: base.architecture,
    config: { Env: [DEFAULT_PATH], Cmd: ['/hello.sh'] },
    created: FIXED_TIME,
    history: [
      ...(base.history ?? []),
      { created: FIXED_TIME, created_by: '/bin/sh -c #(nop) COPY file:hello.sh in /hello.sh ' },
      { created: FIXED_TIME, created_by: '/bin/sh -c #(nop)  CMD ["/hello.sh"]', empty_layer: true },
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [busyboxDiffId, helloDiffId] },
  };
}

async function main(): Promise<void> {
  if (process.stdout.isTTY) {
    process.stderr.write('refusing to write a tar archive to a terminal; pipe it: make-hello-image | berth load\n');
    process.exit(2);
  }
  const bb = await busyboxLayer();
  const hello = await helloLayer();
  const id = await writeArchiveToStdout('berth/hello:latest', helloConfig(sha256(bb), sha256(hello)), [bb, hello]);
  process.stderr.write(`berth/hello:latest ${id}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`make-hello-image: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
