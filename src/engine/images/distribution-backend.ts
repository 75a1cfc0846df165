/**
 * What pull and push need from the image store (the store builds it; the operations in
 * image-pull.ts and image-push.ts see nothing else of it).
 */
import type { ContentStore } from '../../drivers/storage/content-store.js';
import type { LayerStore } from '../../drivers/storage/layer-store.js';
import type { RegistryClient } from '../../drivers/registry/registry-client.js';
import type { Platform } from '../../drivers/registry/manifest.js';
import type { DistributionStore } from './distribution-store.js';
import type { ImageConfigBlob } from './image-types.js';
import type { NamedRef } from './reference.js';
import type { Semaphore, TransferManager } from './transfers.js';

/** A JSON progress message (dockerd's jsonmessage). */
export type ProgressMessage = Record<string, unknown>;
export type Emit = (msg: ProgressMessage) => void;

export interface PulledImage {
  id: string;
  configBytes: Buffer;
  config: ImageConfigBlob;
  /** The tag pulled (absent for a pull by digest). */
  tag?: NamedRef;
  /** `repo@digest` of what the reference resolved to (the index's digest for an index). */
  digestRef: NamedRef;
}

export interface DistributionBackend {
  readonly content: ContentStore;
  readonly layers: LayerStore;
  readonly dist: DistributionStore;
  readonly registry: RegistryClient;
  readonly transfers: TransferManager;
  readonly downloadSlots: Semaphore;
  readonly uploadSlots: Semaphore;
  platform(): Platform;
  /** Keeps a blob or layer (by digest or chain ID) from garbage collection until released. */
  lease(key: string): void;
  release(key: string): void;
  /** Removes what a failed operation left unreferenced (among `candidates` and its layers). */
  collectGarbage(candidates: string[]): Promise<unknown>;
  /** The image a reference points at now. */
  referenceTarget(ref: NamedRef): string | undefined;
  /** Stores a pulled image and points its tag and digest references at it. */
  commitPulled(p: PulledImage): Promise<void>;
  /** Tagged references of a repository (`127.0.0.1:5000/bb`) with their images. */
  tagsOf(repository: string): { ref: NamedRef; id: string }[];
  imageConfig(id: string): Promise<{ bytes: Buffer; config: ImageConfigBlob }>;
  /** Records the digest reference a push produced. */
  commitPushed(id: string, digestRef: NamedRef): Promise<void>;
}
