import { ConflictError, InvalidParameterError, errorMessage } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { upperLayerTar } from '../../drivers/storage/upper-dir.js';
import { applyChanges } from '../images/image-changes.js';
import type { CreateImageOptions } from '../images/image-service.js';
import type { ImageRuntimeConfig } from '../images/image-types.js';
import { familiarString, repoTagReference, type NamedRef } from '../images/reference.js';
import type { EventBus } from '../events.js';
import { isPlumbing, upperDirOf } from './container-changes.js';
import type { ContainerConfig, ContainerRecord } from './container-record.js';

/** What commit needs of the containers engine. */
export interface CommitContainers {
  resolve(ref: string): ContainerRecord;
  dataRoot(): string;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
}

/** What commit needs of the image store. */
export interface CommitImages {
  createImage(opts: CreateImageOptions): Promise<string>;
}

/** POST /commit's parameters. */
export interface CommitRequest {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze the container while its layer is read (default true, as dockerd). */
  pause: boolean;
  /** Dockerfile instructions for the new config (CMD, ENV, ...). */
  changes: string[];
  /** A config to start from instead of the container's (the request body). */
  config?: Partial<ContainerConfig>;
}

/**
 * docker commit: the container's own layer (its overlay upper dir, runtime mount points
 * left out) becomes a new layer on top of its image, with the container's config (plus
 * `changes`) and one history entry. Returns the new image ID.
 */
export async function commitContainer(
  deps: { containers: CommitContainers; images: CommitImages; events: EventBus },
  ref: string,
  req: CommitRequest,
): Promise<string> {
  const rec = deps.containers.resolve(ref);
  if (rec.State.Dead) throw new ConflictError(`You cannot commit container ${rec.Id} which is Dead`);
  if (rec.State.Status === 'removing') throw new ConflictError(`You cannot commit container ${rec.Id} which is being removed`);
  // Everything about the request is checked before the container is touched.
  const tag: NamedRef | undefined = req.repo ? repoTagReference(req.repo, req.tag ?? '') : undefined;
  if (!req.repo && req.tag) throw new InvalidParameterError('invalid reference format: repository name must have at least one component');
  const base = toImageConfig(req.config ? { ...req.config } : rec.Config);
  const config = mergeConfig(req.changes.length ? applyChanges(base, req.changes) : base, toImageConfig(rec.Config));

  let paused = false;
  if (req.pause && rec.State.Running && !rec.State.Paused) {
    await deps.containers.pause(rec.Id);
    paused = true;
  }
  let id: string;
  try {
    id = await deps.images.createImage({
      parent: rec.Image,
      layer: upperLayerTar(upperDirOf(deps.containers.dataRoot(), rec), isPlumbing),
      config,
      author: req.author || undefined,
      comment: req.comment || undefined,
      createdBy: (rec.Config.Cmd ?? []).join(' '),
      tag,
    });
  } finally {
    if (paused) {
      await deps.containers.unpause(rec.Id).catch((err) => log.warn('cannot unpause after commit', { id: rec.Id, err: errorMessage(err) }));
    }
  }
  deps.events.publish('container', 'commit', rec.Id, {
    ...rec.Config.Labels,
    image: rec.Config.Image,
    name: rec.Name.slice(1),
    comment: req.comment ?? '',
    imageID: id,
    imageRef: tag ? familiarString(tag) : '',
  });
  return id;
}

/** A container Config as an image config (the fields an image keeps). */
function toImageConfig(c: Partial<ContainerConfig>): ImageRuntimeConfig & Record<string, unknown> {
  return structuredClone({
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: c.Image ?? '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  });
}

/** moby's commit merge(): fills what the new config leaves unset from the container's. */
export function mergeConfig(user: ImageRuntimeConfig, ctr: ImageRuntimeConfig): ImageRuntimeConfig {
  const u = structuredClone(user);
  if (!u.User) u.User = ctr.User;
  if (!u.ExposedPorts || Object.keys(u.ExposedPorts).length === 0) u.ExposedPorts = ctr.ExposedPorts;
  else for (const p of Object.keys(ctr.ExposedPorts ?? {})) u.ExposedPorts[p] ??= {};
  if (!u.Env?.length) u.Env = ctr.Env;
  else {
    const keys = new Set(u.Env.map((e) => e.split('=')[0]));
    for (const e of ctr.Env ?? []) if (!keys.has(e.split('=')[0])) u.Env.push(e);
  }
  u.Labels = { ...(ctr.Labels ?? {}), ...(u.Labels ?? {}) };
  if (!u.Entrypoint?.length) {
    if (!u.Cmd?.length) u.Cmd = ctr.Cmd;
    if (u.Entrypoint === undefined) u.Entrypoint = ctr.Entrypoint;
  }
  if (!u.WorkingDir) u.WorkingDir = ctr.WorkingDir;
  if (!u.Volumes || Object.keys(u.Volumes).length === 0) u.Volumes = ctr.Volumes;
  else Object.assign(u.Volumes, ctr.Volumes ?? {});
  if (!u.StopSignal && ctr.StopSignal) u.StopSignal = ctr.StopSignal;
  if (!u.Healthcheck && ctr.Healthcheck) u.Healthcheck = ctr.Healthcheck;
  return u;
}
