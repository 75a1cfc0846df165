import type { Router } from '../router.js';
import type { ImageService } from '../../engine/images/image-service.js';

/** PLACEHOLDER — the image routes (ImageList, ImageLoad, ...) go here. */
export function imageRoutes(_r: Router, _images: ImageService): void {}
