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
  /** Short symlinks to the same dirs (bottom first), to keep overlay mount options under the kernel's limit. */
  shortLayerDirs?: string[];
}

/** Lets the image store ask which containers use an image (rmi refuses those unless forced). */
export interface ImageUsage {
  containersUsing(imageId: string): { id: string; running: boolean }[];
}
