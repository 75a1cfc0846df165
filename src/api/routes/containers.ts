import type { Router } from '../router.js';
import type { ContainerService } from '../../engine/containers/container-service.js';
export function containerRoutes(_r: Router, _c: ContainerService): void {}
