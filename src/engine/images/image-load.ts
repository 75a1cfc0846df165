import { promises as fsp } from 'node:fs';
import { Transform } from 'node:stream';
import { errorMessage } from '../../lib/errors.js';
import { chainIdOf, type LayerStore } from '../../drivers/storage/layer-store.js';
import { planLoad, type PlannedImage } from './archive-manifest.js';
import { StagedArchive } from './archive-staging.js';
import { shortId } from './reference.js';

/** A JSON message of the load response stream (dockerd's jsonmessage). */
export type LoadMessage = Record<string, unknown>;

/** What loading needs from the image store. */
export interface LoadBackend {
  readonly layers: LayerStore;
  platform(): { os: string; architecture: string };
  /** A fresh private temp directory (removed by the caller). */
  makeTempDir(prefix: string): Promise<string>;
  /** Keeps a layer from garbage collection until released. */
  lease(chainId: string): void;
  release(chainId: string): void;
  /** Stores the config and image record and sets the tags; reports like dockerd. */
  commitLoaded(img: PlannedImage, say: (line: string) => void): Promise<void>;
  /** Removes what a failed load left unreferenced. */
  collectGarbage(): Promise<unknown>;
}

/**
 * An archive that was read, checked and staged, ready to be imported. Everything that
 * can be wrong with the input is found before the response starts (so it is a 400);
 * only a layer whose content does not match its diffID is found while unpacking.
 */
export interface PreparedLoad {
  readonly images: PlannedImage[];
  /** Unpacks the layers and stores the images, reporting on `emit`; always disposes. */
  run(emit: (msg: LoadMessage) => void, quiet: boolean): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function prepareLoad(b: LoadBackend, input: NodeJS.ReadableStream): Promise<PreparedLoad> {
  const dir = await b.makeTempDir('load-');
  let staged: StagedArchive;
  let images: PlannedImage[];
  try {
    staged = await StagedArchive.stage(input, dir);
    images = await planLoad(staged, b.platform());
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  const dispose = (): Promise<void> => fsp.rm(dir, { recursive: true, force: true });
  return {
    images,
    dispose,
    async run(emit, quiet) {
      const leased: string[] = [];
      const loaded: string[] = [];
      try {
        for (const img of images) {
          let parent: string | undefined;
          for (const [i, layer] of img.layers.entries()) {
            const diffId = img.config.rootfs.diff_ids[i];
            const chain = chainIdOf(parent, diffId);
            b.lease(chain);
            leased.push(chain);
            if (!b.layers.has(chain)) {
              const src = staged.open(layer.file);
              const input = quiet ? src : src.pipe(progressTap(layer.size, shortId(diffId), emit));
              src.on('error', (err) => input.destroy(err));
              await b.layers.apply(parent, input, { expectedDiffId: diffId });
            }
            parent = chain;
          }
          await b.commitLoaded(img, (line) => emit({ stream: line }));
          loaded.push(img.id);
        }
        return loaded;
      } catch (err) {
        for (const c of leased.splice(0)) b.release(c);
        await b.collectGarbage().catch((e: unknown) => emit({ stream: `cleanup failed: ${errorMessage(e)}\n` }));
        throw err;
      } finally {
        for (const c of leased) b.release(c);
        await dispose();
      }
    },
  };
}

/** Passes bytes through and reports dockerd's "Loading layer" progress every 512 KB. */
function progressTap(total: number, id: string, emit: (msg: LoadMessage) => void): Transform {
  let current = 0;
  let last = -1;
  const report = (): void => {
    last = current;
    emit({ status: 'Loading layer', progressDetail: { current, total }, progress: progressBar(current, total), id });
  };
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      current += chunk.length;
      if (last < 0 || current - last >= 512 * 1024 || current === total) report();
      cb(null, chunk);
    },
    flush(cb) {
      if (current !== last) report();
      cb();
    },
  });
}

/** dockerd's JSONProgress.String() at its server-side width. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  let pct = Math.floor(Math.floor((current / total) * 100) / 2);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  return bar + `${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** go-units HumanSize: decimal units, 4 significant digits. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}
