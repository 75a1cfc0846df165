/**
 * Pull and push benchmark (issue 5). Not a test: prints figures.
 *
 *   node dist/bench/pull-push.js [runs] [totalMB]
 *
 * A 5-layer image of random (incompressible) data, ~100 MB in all, is put in a local
 * docker-registry on 127.0.0.1. Measured, with a real berthd: pull (wall time), push of
 * the pulled image to a second registry (its kept compressed blobs, as is), push of the
 * same content loaded from an archive (gzip on the fly), and berthd's peak RSS growth
 * during each, for the full size and for a tenth of it: the growth must not scale with
 * the layer size. The baseline would be a real dockerd on the same machine; when none
 * is installed the ratio is not measured (said so).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { RawRegistry, sha256, startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { tarBuffer } from '../src/tools/make-busybox-image.js';

const runs = Number(process.argv[2] ?? 3);
const totalMB = Number(process.argv[3] ?? 100);
const LAYERS = 5;

interface Layer {
  tar: Buffer;
  gz: Buffer;
}

async function makeLayers(totalBytes: number): Promise<Layer[]> {
  const out: Layer[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const t = await tarBuffer([{ name: `blob-${i}.bin`, type: 'file', mode: 0o644, body: randomBytes(Math.floor(totalBytes / LAYERS)) }]);
    out.push({ tar: t, gz: gzipSync(t, { level: 1 }) });
  }
  return out;
}

function config(layers: Layer[], tag: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date().toISOString(),
      config: { Cmd: ['sh'], Labels: { bench: tag } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.tar)) },
      history: layers.map(() => ({ created_by: 'bench' })),
    }),
  );
}

async function pushToRegistry(raw: RawRegistry, repo: string, layers: Layer[]): Promise<void> {
  const descs = [];
  for (const l of layers) descs.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: await raw.putBlob(repo, l.gz), size: l.gz.length });
  const cfg = config(layers, repo);
  const cfgDigest = await raw.putBlob(repo, cfg);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: cfgDigest, size: cfg.length },
    layers: descs,
  };
  await raw.putManifest(repo, 'latest', manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
}

/** A docker-save archive of the same layers (uncompressed), for the load-then-push case. */
async function saveArchive(layers: Layer[], ref: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  const cfg = config(layers, 'loaded');
  const cfgName = `${sha256(cfg).slice(7)}.json`;
  pack.entry({ name: cfgName }, cfg);
  const names = layers.map((l, i) => {
    const n = `layer${i}.tar`;
    pack.entry({ name: n }, l.tar);
    return n;
  });
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: cfgName, RepoTags: [ref], Layers: names }]));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function rssKb(pid: number): Promise<number> {
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Runs `fn`, sampling berthd's RSS every 10 ms; returns wall ms and peak growth over the start. */
async function measure(d: TestDaemon, fn: () => Promise<void>): Promise<{ ms: number; rssGrowthMB: number }> {
  const pid = d.proc.pid!;
  const base = await rssKb(pid);
  let peak = base;
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      peak = Math.max(peak, await rssKb(pid));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t0 = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  stop = true;
  await sampler;
  return { ms, rssGrowthMB: (peak - base) / 1024 };
}

async function api(d: TestDaemon, method: string, p: string, body?: Buffer): Promise<void> {
  const r = await d.api(method, p, body, body ? { 'Content-Type': 'application/x-tar' } : {});
  if (r.status >= 300 || r.body.includes('errorDetail')) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(-300)}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scenario(d: TestDaemon, src: TestRegistry, dst: TestRegistry, mb: number): Promise<Record<string, { ms: number; rss: number }>> {
  const layers = await makeLayers(mb * 1e6);
  const raw = new RawRegistry(src.url);
  const repo = `bench${mb}`;
  await pushToRegistry(raw, repo, layers);
  // Other content for the loaded image: nothing of it may be known to the registry.
  const archive = await saveArchive(await makeLayers(mb * 1e6), `bench-loaded-${mb}:latest`);
  const res: Record<string, { ms: number[]; rss: number[] }> = { pull: { ms: [], rss: [] }, 'push (pulled, blobs as kept)': { ms: [], rss: [] }, 'push (loaded, gzip on the fly)': { ms: [], rss: [] } };
  const add = (k: string, m: { ms: number; rssGrowthMB: number }): void => {
    res[k].ms.push(m.ms);
    res[k].rss.push(m.rssGrowthMB);
  };
  for (let i = 0; i < runs; i++) {
    const name = encodeURIComponent(`${src.host}/${repo}`);
    add('pull', await measure(d, () => api(d, 'POST', `/images/create?fromImage=${name}&tag=latest`)));
    await api(d, 'POST', `/images/${src.host}/${repo}/tag?repo=${dst.host}/${repo}-${i}&tag=latest`);
    add('push (pulled, blobs as kept)', await measure(d, () => api(d, 'POST', `/images/${dst.host}/${repo}-${i}/push?tag=latest`)));
    await api(d, 'POST', '/images/load?quiet=1', archive);
    await api(d, 'POST', `/images/bench-loaded-${mb}/tag?repo=${dst.host}/loaded${mb}-${i}&tag=latest`);
    add('push (loaded, gzip on the fly)', await measure(d, () => api(d, 'POST', `/images/${dst.host}/loaded${mb}-${i}/push?tag=latest`)));
    // Start the next round from an empty store.
    for (const img of (await d.api('GET', '/images/json')).json as { Id: string }[]) await d.api('DELETE', `/images/${img.Id}?force=1`);
  }
  const out: Record<string, { ms: number; rss: number }> = {};
  for (const [k, v] of Object.entries(res)) out[k] = { ms: median(v.ms), rss: Math.max(...v.rss) };
  return out;
}

async function main(): Promise<void> {
  const src = await startRegistry('bench-src');
  const dst = await startRegistry('bench-dst');
  const d = await startTestDaemon('bench-pull-push');
  try {
    const small = Math.max(1, Math.round(totalMB / 10));
    console.log(`berth pull/push benchmark: ${LAYERS} layers of random data, docker-registry on 127.0.0.1, median of ${runs} runs`);
    const big = await scenario(d, src, dst, totalMB);
    const little = await scenario(d, src, dst, small);
    const fmt = (n: number, w = 8): string => n.toFixed(1).padStart(w);
    console.log(`\n${'operation'.padEnd(34)}${'size'.padStart(8)}${'wall s'.padStart(9)}${'MB/s'.padStart(8)}${'peak RSS +MB'.padStart(14)}`);
    for (const [mb, r] of [
      [totalMB, big],
      [small, little],
    ] as const) {
      for (const [k, v] of Object.entries(r)) {
        console.log(`${k.padEnd(34)}${`${mb}MB`.padStart(8)}${fmt(v.ms / 1000, 9)}${fmt(mb / (v.ms / 1000))}${fmt(v.rss, 14)}`);
      }
    }
    for (const k of Object.keys(big)) {
      console.log(`RSS growth ${k}: ${big[k].rss.toFixed(1)} MB for ${totalMB} MB vs ${little[k].rss.toFixed(1)} MB for ${small} MB (layer size x${(totalMB / small).toFixed(0)})`);
    }
    const dockerd = spawnSync('sh', ['-c', 'command -v dockerd']).status === 0;
    console.log(
      dockerd
        ? '\ndockerd is installed: run the same pull with it against this registry for the ratio (not automated here).'
        : '\nNo dockerd on this machine: the ratio to a real dockerd was not measured.',
    );
  } finally {
    await d.cleanup();
    await src.stop();
    await dst.stop();
  }
}

await main();
