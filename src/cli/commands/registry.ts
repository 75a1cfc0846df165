/** Registry command wiring: pull, push (also under `image`), login, logout. */
import type { CommandDef } from '../command.js';
import { lazyActions } from '../lazy.js';

const { loginAction, logoutAction, pullAction, pushAction } = lazyActions(() => import('../actions/registry-ops.js'));

const contentTrust = { name: 'disable-content-trust', kind: 'bool' as const, usage: 'Skip image verification', default: true, defaultText: 'true', hidden: true };

export const pullCommand: CommandDef = {
  name: 'pull',
  use: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  aliasPaths: ['image pull', 'pull'],
  common: true,
  args: { exact: 1 },
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
    contentTrust,
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  run: (ctx, inv) =>
    pullAction(ctx, { image: inv.args[0], all: inv.flags.bool('all-tags'), quiet: inv.flags.bool('quiet'), platform: inv.flags.string('platform') }),
};

export const pushCommand: CommandDef = {
  name: 'push',
  use: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  aliasPaths: ['image push', 'push'],
  common: true,
  args: { exact: 1 },
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Push all tags of an image to the repository' },
    contentTrust,
    { name: 'platform', kind: 'string', usage: 'Push a platform-specific manifest as a single-platform image to the registry', hidden: true },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  run: (ctx, inv) => pushAction(ctx, { image: inv.args[0], all: inv.flags.bool('all-tags'), quiet: inv.flags.bool('quiet') }),
};

export const loginCommand: CommandDef = {
  name: 'login',
  use: '[OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  common: true,
  args: { max: 1 },
  flags: [
    { name: 'password', short: 'p', kind: 'string', usage: 'Password' },
    { name: 'password-stdin', kind: 'bool', usage: 'Take the password from stdin' },
    { name: 'username', short: 'u', kind: 'string', usage: 'Username' },
  ],
  run: (ctx, inv) =>
    loginAction(ctx, {
      server: inv.args[0] ?? '',
      username: inv.flags.string('username'),
      password: inv.flags.string('password'),
      passwordStdin: inv.flags.bool('password-stdin'),
    }),
};

export const logoutCommand: CommandDef = {
  name: 'logout',
  use: '[SERVER]',
  short: 'Log out from a registry',
  common: true,
  args: { max: 1 },
  run: (ctx, inv) => logoutAction(ctx, { server: inv.args[0] ?? '' }),
};
