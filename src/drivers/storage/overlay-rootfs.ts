// PLACEHOLDER: being written (overlay rootfs).
export class OverlayRootfs {}
