/**
 * The contract between the image store and its users (containers, build, the API).
 * Shapes follow the OCI/Docker image config; field names stay Docker's so they can be
 * served as-is by the API.
 */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object inside an image config blob (runtime defaults for containers). */
export interface ImageRuntimeConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
}

/** What a container needs of an image. */
export interface ImageHandle {
  /** `sha256:<hex>` digest of the image config blob. */
  id: string;
  repoTags: string[];
  config: ImageRuntimeConfig;
  os: string;
  architecture: string;
  /** Absolute paths of the unpacked layer snapshots, bottom layer first. */
  layerDirs: string[];
  /**
   * The same layers as short symlinks (`<image root>/l/<26 chars>` → the layer's diff dir),
   * bottom layer first. Use these in overlay's `lowerdir=` (leftmost on top, so reversed):
   * the kernel keeps only ~4 KB of mount options and full paths overflow it for deep
   * images; overlay resolves the links when mounting. The image store always sets it.
   */
  shortLayerDirs?: string[];
}

/** One entry of an image config's `history`. */
export interface ImageHistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config blob (OCI image config / Docker image JSON); its sha256 is the image ID. */
export interface ImageConfigBlob {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  config?: ImageRuntimeConfig;
  container_config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: ImageHistoryEntry[];
  /** Local parent image ID (images built or committed here). */
  parent?: string;
}

/** Lets the image store ask which containers use an image (rmi refuses those unless forced). */
export interface ImageUsage {
  containersUsing(imageId: string): { id: string; running: boolean }[];
}
