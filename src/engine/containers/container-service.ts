// PLACEHOLDER: being written (containers engine).
import type { EventBus } from '../events.js';
import type { ImageService } from '../images/image-service.js';
export class ContainerService {
  constructor(readonly deps: { root: string; runtime: unknown; rootfs: unknown; images: ImageService; events: EventBus }) {}
  async init(): Promise<void> {}
  async shutdown(): Promise<void> {}
  counts() {
    return { total: 0, running: 0, paused: 0, stopped: 0 };
  }
  containersUsing(_imageId: string): { id: string; running: boolean }[] {
    return [];
  }
}
