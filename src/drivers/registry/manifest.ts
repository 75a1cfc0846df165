/**
 * Manifests of the OCI Distribution protocol: Docker schema2 image manifests and manifest
 * lists, OCI image manifests and indexes; parsing, checking, and platform selection as
 * containerd's `platforms` package does it for this host. Pure.
 */
import { createHash } from 'node:crypto';
import { InvalidParameterError } from '../../lib/errors.js';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondist: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

/** What a pull asks for, best first (dockerd's Accept list, schema1 left out). */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.ociIndex];

/** Layer media types berth can unpack (uncompressed or gzip tars). */
export const UNPACKABLE_LAYERS = new Set<string>([
  MEDIA.dockerLayer,
  MEDIA.dockerLayerGzip,
  MEDIA.dockerForeignLayerGzip,
  MEDIA.ociLayer,
  MEDIA.ociLayerGzip,
  MEDIA.ociLayerNondist,
  MEDIA.ociLayerNondistGzip,
]);

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

export function sha256Digest(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

const digestRe = /^sha256:[a-f0-9]{64}$/;

/** A manifest that cannot be used: its text, shape, or media type is wrong. */
export class ManifestError extends InvalidParameterError {}

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null) throw new ManifestError(`invalid manifest: ${where} is not a descriptor`);
  if (typeof d.digest !== 'string' || !digestRe.test(d.digest)) {
    throw new ManifestError(`invalid manifest: ${where} has an invalid digest ${JSON.stringify(d.digest)}`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ManifestError(`invalid manifest: ${where} has an invalid size ${JSON.stringify(d.size)}`);
  }
  if (d.mediaType !== undefined && typeof d.mediaType !== 'string') throw new ManifestError(`invalid manifest: ${where} has an invalid mediaType`);
  return { ...d, mediaType: d.mediaType ?? '' } as Descriptor;
}

/**
 * Parses manifest bytes. The media type comes from the body's `mediaType` when present,
 * else from the response's Content-Type; manifests without either are told apart by
 * shape (`manifests` vs `layers`), as containerd does.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ManifestError(`invalid manifest: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError('invalid manifest: not a JSON object');
  const ct = (contentType ?? '').split(';')[0].trim();
  let mediaType = typeof doc.mediaType === 'string' && doc.mediaType ? doc.mediaType : ct;
  if (doc.schemaVersion === 1 || mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed) {
    throw new ManifestError(
      'Docker Image manifest version 2, schema 1 is not supported: the image must be pushed again with a newer client (unsupported media type ' +
        (mediaType || MEDIA.dockerSchema1Signed) +
        ')',
    );
  }
  if (doc.schemaVersion !== 2) throw new ManifestError(`invalid manifest: unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)}`);
  if (!mediaType || mediaType === 'application/json' || mediaType === 'application/octet-stream') {
    mediaType = Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest;
  }
  if (mediaType === MEDIA.dockerManifestList || mediaType === MEDIA.ociIndex) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('invalid manifest: an index must have a "manifests" list');
    return { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (mediaType === MEDIA.dockerManifest || mediaType === MEDIA.ociManifest) {
    if (!Array.isArray(doc.layers)) throw new ManifestError('invalid manifest: an image manifest must have a "layers" list');
    const config = descriptor(doc.config, 'config');
    return { kind: 'image', mediaType, config, layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)) };
  }
  throw new ManifestError(`unsupported manifest media type ${mediaType}`);
}

/** `os[/arch[/variant]]`, as `--platform` takes it (containerd's platforms.Parse, simplified). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new InvalidParameterError(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  const [os, arch, variant] = parts;
  if (!arch) {
    // A lone architecture means linux/ARCH, a lone OS this host's architecture.
    if (KNOWN_OS.has(os)) return normalizePlatform({ os, architecture: hostArchitecture() });
    return normalizePlatform({ os: 'linux', architecture: os });
  }
  return normalizePlatform({ os, architecture: arch, ...(variant ? { variant } : {}) });
}

const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'android', 'illumos', 'plan9', 'js', 'wasip1']);

const NODE_TO_GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostArchitecture(): string {
  return NODE_TO_GO_ARCH[process.arch] ?? process.arch;
}

export function hostPlatform(): Platform {
  return normalizePlatform({ os: 'linux', architecture: hostArchitecture() });
}

/** containerd's platforms.Normalize: aliases of architectures and default variants. */
export function normalizePlatform(p: Platform): Platform {
  let arch = (p.architecture ?? '').toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return { ...p, os: (p.os ?? '').toLowerCase(), architecture: arch, ...(variant ? { variant } : { variant: undefined }) };
}

export function platformString(p: Platform): string {
  const n = normalizePlatform(p);
  return [n.os, n.architecture, n.variant].filter(Boolean).join('/');
}

/** True when an image's platform can serve the wanted one (variant: equal, or absent in the image). */
export function platformMatches(have: Platform, want: Platform): boolean {
  const h = normalizePlatform(have);
  const w = normalizePlatform(want);
  if (h.os !== w.os || h.architecture !== w.architecture) return false;
  if (!w.variant) return !h.variant || (h.architecture === 'amd64' && h.variant === 'v1');
  return !h.variant || h.variant === w.variant;
}

/**
 * Picks the manifest of an index for a platform: entries matching os/arch (and variant),
 * the exact variant before an unspecified one, then index order. Attestation manifests
 * (`unknown/unknown`) never match.
 */
export function selectPlatform(manifests: Descriptor[], want: Platform): Descriptor | undefined {
  const w = normalizePlatform(want);
  const candidates = manifests
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.platform && platformMatches(m.platform, w))
    .filter(({ m }) => m.mediaType !== MEDIA.dockerManifestList && m.mediaType !== MEDIA.ociIndex);
  candidates.sort((a, b) => {
    const av = normalizePlatform(a.m.platform!).variant === w.variant ? 0 : 1;
    const bv = normalizePlatform(b.m.platform!).variant === w.variant ? 0 : 1;
    return av - bv || a.i - b.i;
  });
  return candidates[0]?.m;
}

/** A Docker schema2 manifest for pushing an image built or loaded here. */
export function buildImageManifest(config: Descriptor, layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
        layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
      },
      null,
      3,
    ),
  );
}
