import type { EventBus } from '../events.js';
import { NotFoundError } from '../../lib/errors.js';
import type { ImageHandle, ImageUsage } from './image-types.js';

/**
 * PLACEHOLDER — to be replaced by the real image store (content store + snapshots +
 * references). The constructor, init(), get(), count() and setUsage() are the contract
 * the rest of the daemon relies on.
 */
export class ImageService {
  private usage: ImageUsage | undefined;
  constructor(
    readonly root: string,
    readonly events: EventBus,
  ) {}
  async init(): Promise<void> {}
  setUsage(u: ImageUsage): void {
    this.usage = u;
  }
  /** Resolves a name, name:tag, name@digest, full or short image ID. */
  async get(ref: string): Promise<ImageHandle> {
    void this.usage;
    throw new NotFoundError(`No such image: ${ref}`);
  }
  count(): number {
    return 0;
  }
}
