import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseFlags } from '../../src/cli/flags.js';
import {
  buildCreateRequest,
  containerFlags,
  containerOptionsFromFlags,
  OptionError,
  parseKvFile,
  parseMount,
  parsePortSpec,
  parseRestartPolicy,
  runOnlyFlags,
  type MappingEnv,
} from '../../src/cli/run-options.js';

function env(files: Record<string, string> = {}, vars: Record<string, string> = {}): MappingEnv {
  return {
    getenv: (k) => vars[k],
    readFile: (f) => {
      if (!(f in files)) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
      return files[f];
    },
    cwd: '/home/u',
    consoleSize: [0, 0],
  };
}

function body(argv: string[], e: MappingEnv = env(), detach = false): Record<string, any> {
  const flags = parseFlags([...containerFlags, ...runOnlyFlags], argv, { interspersed: false });
  return buildCreateRequest(containerOptionsFromFlags(flags), e, { detach }).body;
}

describe('run options → ContainerCreate body', () => {
  it('maps the basics like the docker CLI', () => {
    const b = body(['-it', '--name', 'x', '-w', '/srv', '-u', '1000:1000', '--hostname', 'h', 'busybox', 'sh', '-c', 'echo hi']);
    assert.equal(b.Image, 'busybox');
    assert.deepEqual(b.Cmd, ['sh', '-c', 'echo hi']);
    assert.equal(b.Tty, true);
    assert.equal(b.OpenStdin, true);
    assert.equal(b.AttachStdin, true);
    assert.equal(b.AttachStdout, true);
    assert.equal(b.AttachStderr, true);
    assert.equal(b.StdinOnce, true);
    assert.equal(b.WorkingDir, '/srv');
    assert.equal(b.User, '1000:1000');
    assert.equal(b.Hostname, 'h');
    assert.equal(b.HostConfig.NetworkMode, 'default');
    assert.deepEqual(b.HostConfig.RestartPolicy, { Name: '', MaximumRetryCount: 0 });
    assert.deepEqual(Object.keys(b.NetworkingConfig.EndpointsConfig), ['default']);
    assert.equal('Entrypoint' in b, false);
  });

  it('clears the attach fields for -d', () => {
    const b = body(['-d', '-i', 'busybox'], env(), true);
    assert.equal(b.AttachStdin, false);
    assert.equal(b.AttachStdout, false);
    assert.equal(b.AttachStderr, false);
    assert.equal(b.StdinOnce, false);
    assert.equal(b.OpenStdin, true);
  });

  it('publishes ports with ranges, IPs and protocols', () => {
    const b = body(['-p', '8080:80', '-p', '127.0.0.1:5353:53/udp', '-p', '9000-9001:9000-9001', '-p', '443', '--expose', '7000-7001', 'img']);
    assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {}, '443/tcp': {}, '7000/tcp': {}, '7001/tcp': {} });
    assert.deepEqual(b.HostConfig.PortBindings, {
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
      '9000/tcp': [{ HostIp: '', HostPort: '9000' }],
      '9001/tcp': [{ HostIp: '', HostPort: '9001' }],
      '443/tcp': [{ HostIp: '', HostPort: '' }],
    });
    assert.deepEqual(parsePortSpec('[::1]:80:80'), [{ port: '80/tcp', hostIp: '::1', hostPort: '80' }]);
    assert.deepEqual(parsePortSpec('8000-8010:80'), [{ port: '80/tcp', hostIp: '', hostPort: '8000-8010' }]);
    assert.throws(() => parsePortSpec('80:80/xyz'), /invalid proto: xyz/);
    assert.throws(() => parsePortSpec('1-3:4-5'), /invalid ranges specified for container and host Ports: 4-5 and 1-3/);
    assert.throws(() => parsePortSpec('abc'), /invalid containerPort: abc/);
    const p = body(['-p', 'published=8081,target=81,protocol=udp', 'img']);
    assert.deepEqual(p.HostConfig.PortBindings, { '81/udp': [{ HostIp: '', HostPort: '8081' }] });
  });

  it('splits -v into binds and anonymous volumes, with relative host paths made absolute', () => {
    const b = body(['-v', '/data:/data:ro', '-v', './site:/www', '-v', '/cache', '-v', 'named:/n', 'img']);
    assert.deepEqual(b.HostConfig.Binds, ['/data:/data:ro', '/home/u/site:/www', 'named:/n']);
    assert.deepEqual(b.Volumes, { '/cache': {} });
  });

  it('parses --mount and --tmpfs', () => {
    const b = body(['--mount', 'type=bind,source=/src,target=/dst,readonly', '--mount', 'type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', '--tmpfs', '/run:rw,size=1m', '--tmpfs', '/x', 'img']);
    assert.deepEqual(b.HostConfig.Mounts, [
      { Type: 'bind', Source: '/src', Target: '/dst', ReadOnly: true },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } },
    ]);
    assert.deepEqual(b.HostConfig.Tmpfs, { '/run': 'rw,size=1m', '/x': '' });
    assert.deepEqual(parseMount('type=bind,src=./a,dst=/b,ro=false', '/w'), { Type: 'bind', Source: '/w/a', Target: '/b', ReadOnly: false });
    assert.throws(() => parseMount('type=bind,target=/x,foo=bar'), /unexpected key 'foo' in 'foo=bar'/);
    assert.throws(() => parseMount('type=tmpfs,source=/a,target=/b'), /source must not be specified/);
  });

  it('reads env files, then -e overrides; bare names come from the client environment', () => {
    const files = { 'a.env': '# comment\n\nA=1\n  B=two words\nHOME_DIR\nMISSING\n', 'b.env': 'A=3\n' };
    const b = body(['--env-file', 'a.env', '--env-file', 'b.env', '-e', 'A=4', '-e', 'USER', '-e', 'NOPE', 'img'], env(files, { HOME_DIR: '/root', USER: 'me' }));
    assert.deepEqual(b.Env, ['A=1', 'B=two words', 'HOME_DIR=/root', 'A=3', 'A=4', 'USER=me', 'NOPE']);
    assert.throws(() => body(['--env-file', 'none.env', 'img']), (e: unknown) => e instanceof OptionError && e.message === 'open none.env: no such file or directory');
    assert.throws(() => parseKvFile('f', 'BAD KEY=1'), /variable 'BAD KEY' contains whitespaces/);
  });

  it('merges label files and -l into a map', () => {
    const b = body(['--label-file', 'l.txt', '-l', 'a=override', '-l', 'flag', 'img'], env({ 'l.txt': 'a=1\nb=2\n' }));
    assert.deepEqual(b.Labels, { a: 'override', b: '2', flag: '' });
  });

  it('parses restart policies', () => {
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('no'), { Name: 'no', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy(':3'), /no policy provided before colon/);
    assert.throws(() => parseRestartPolicy('on-failure:x'), /maximum retry count must be an integer/);
    assert.deepEqual(body(['--restart', 'on-failure:3', 'img']).HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.throws(() => body(['--rm', '--restart', 'always', 'img']), /conflicting options: cannot specify both --restart and --rm/);
  });

  it('maps resources: memory sizes, swap, cpus, pids, ulimits, shm', () => {
    const b = body(['-m', '512m', '--memory-swap', '-1', '--cpus', '1.5', '--cpu-shares', '512', '--pids-limit', '100', '--ulimit', 'nofile=1024:2048', '--shm-size', '64m', 'img']);
    const h = b.HostConfig;
    assert.equal(h.Memory, 512 * 1024 * 1024);
    assert.equal(h.MemorySwap, -1);
    assert.equal(h.NanoCpus, 1_500_000_000);
    assert.equal(h.CpuShares, 512);
    assert.equal(h.PidsLimit, 100);
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.equal(h.ShmSize, 64 * 1024 * 1024);
    assert.equal(body(['--memory-swap', '1g', 'img']).HostConfig.MemorySwap, 1024 ** 3);
  });

  it('maps security, capabilities, devices, dns and hosts', () => {
    const b = body(
      ['--privileged', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--device', '/dev/fuse', '--dns', '1.1.1.1', '--add-host', 'db:10.0.0.2', '--group-add', 'audio', '--sysctl', 'net.ipv4.ip_forward=1', '--read-only', '--init', '--runtime', 'runc', 'img'],
    );
    const h = b.HostConfig;
    assert.equal(h.Privileged, true);
    assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(h.Dns, ['1.1.1.1']);
    assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
    assert.deepEqual(h.GroupAdd, ['audio']);
    assert.deepEqual(h.Sysctls, { 'net.ipv4.ip_forward': '1' });
    assert.equal(h.ReadonlyRootfs, true);
    assert.equal(h.Init, true);
    assert.equal(h.Runtime, 'runc');
  });

  it('maps entrypoint, stop settings, health checks and networking', () => {
    const b = body(['--entrypoint', '/bin/sh', '--stop-signal', 'SIGUSR1', '--stop-timeout', '3', '--health-cmd', 'true', '--health-interval', '5s', '--network', 'none', 'img']);
    assert.deepEqual(b.Entrypoint, ['/bin/sh']);
    assert.equal(b.StopSignal, 'SIGUSR1');
    assert.equal(b.StopTimeout, 3);
    assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 });
    assert.equal(b.HostConfig.NetworkMode, 'none');
    assert.deepEqual(b.NetworkingConfig.EndpointsConfig, {});
    assert.deepEqual(body(['--entrypoint=', 'img']).Entrypoint, ['']);
    assert.deepEqual(body(['--no-healthcheck', 'img']).Healthcheck, { Test: ['NONE'] });
    assert.throws(() => body(['--no-healthcheck', '--health-cmd', 'x', 'img']), /--no-healthcheck conflicts with --health-\* options/);
    assert.throws(() => body(['--network-alias', 'a', 'img']), /network-scoped aliases are only supported for user-defined networks/);
    const n = body(['--network', 'mynet', '--network-alias', 'web', '--ip', '10.1.0.5', 'img']);
    assert.deepEqual(n.NetworkingConfig.EndpointsConfig, { mynet: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.5' } } });
  });

  it('refuses --attach with --detach and a bad --pull', () => {
    assert.throws(() => body(['-d', '-a', 'stdout', 'img'], env(), true), /conflicting options: cannot specify both --attach and --detach/);
    assert.throws(() => body(['--pull', 'sometimes', 'img']), /invalid pull option: 'sometimes': must be one of "always", "missing" or "never"/);
  });

  it('attaches only the streams given with -a', () => {
    const b = body(['-a', 'stdout', 'img']);
    assert.equal(b.AttachStdout, true);
    assert.equal(b.AttachStderr, false);
    assert.equal(b.AttachStdin, false);
  });
});
