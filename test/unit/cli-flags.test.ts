import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FlagError, flagUsages, HelpRequested, parseFlags, type FlagSpec } from '../../src/cli/flags.js';
import { containerFlags, runOnlyFlags } from '../../src/cli/run-options.js';

const runFlags: FlagSpec[] = [...containerFlags, ...runOnlyFlags];
const parseRun = (argv: string[]) => parseFlags(runFlags, argv, { interspersed: false });

describe('flag parser (pflag semantics)', () => {
  it('combines short booleans: -dit', () => {
    const f = parseRun(['-dit', 'busybox', 'sh']);
    assert.equal(f.bool('detach'), true);
    assert.equal(f.bool('interactive'), true);
    assert.equal(f.bool('tty'), true);
    assert.deepEqual(f.args, ['busybox', 'sh']);
  });

  it('takes a short flag value attached, separate or after =', () => {
    const f = parseRun(['-p8080:80', '-p', '9090:90', '-e=A=1', '-dp', '1:2', 'img']);
    assert.deepEqual(f.list('publish'), ['8080:80', '9090:90', '1:2']);
    assert.deepEqual(f.list('env'), ['A=1']);
    assert.equal(f.bool('detach'), true);
  });

  it('takes long flags as --name value and --name=value', () => {
    const f = parseRun(['--name', 'web', '--workdir=/srv', '--env', 'X=1', '--env=Y=2', 'img']);
    assert.equal(f.string('name'), 'web');
    assert.equal(f.string('workdir'), '/srv');
    assert.deepEqual(f.list('env'), ['X=1', 'Y=2']);
  });

  it('repeats list flags in order (-e, --env-file, -l, -v, -p)', () => {
    const f = parseRun(['-e', 'A=1', '--env-file', 'a.env', '-l', 'x=1', '--env-file=b.env', '-v', '/a:/b', '-v', '/c:/d', '-l', 'y=2', 'img']);
    assert.deepEqual(f.list('env-file'), ['a.env', 'b.env']);
    assert.deepEqual(f.list('label'), ['x=1', 'y=2']);
    assert.deepEqual(f.list('volume'), ['/a:/b', '/c:/d']);
  });

  it('reads booleans with =false and keeps defaults', () => {
    const f = parseRun(['--detach=false', '--rm', '--sig-proxy=false', 'img']);
    assert.equal(f.bool('detach'), false);
    assert.equal(f.has('detach'), true);
    assert.equal(f.bool('rm'), true);
    assert.equal(f.bool('sig-proxy'), false);
    const g = parseRun(['img']);
    assert.equal(g.bool('sig-proxy'), true);
    assert.equal(g.string('pull'), 'missing');
    assert.equal(g.has('pull'), false);
  });

  it('leaves flags after the image to the container (run is not interspersed)', () => {
    const f = parseRun(['-d', 'busybox', 'ls', '-la', '--color', '-d']);
    assert.deepEqual(f.args, ['busybox', 'ls', '-la', '--color', '-d']);
    assert.equal(f.bool('detach'), true);
  });

  it('parses flags anywhere for interspersed commands, and -- ends flags', () => {
    const specs: FlagSpec[] = [{ name: 'force', short: 'f', kind: 'bool', usage: '' }];
    const f = parseFlags(specs, ['a', '-f', 'b', '--', '-c', '--force']);
    assert.equal(f.bool('force'), true);
    assert.deepEqual(f.args, ['a', 'b', '-c', '--force']);
  });

  it('treats a lone - as an argument', () => {
    const f = parseFlags([], ['-', 'x']);
    assert.deepEqual(f.args, ['-', 'x']);
  });

  it('reports unknown flags with pflag wording', () => {
    assert.throws(() => parseRun(['--foo', 'img']), (e: unknown) => e instanceof FlagError && e.message === 'unknown flag: --foo');
    assert.throws(() => parseRun(['-dZ', 'img']), (e: unknown) => e instanceof FlagError && e.message === "unknown shorthand flag: 'Z' in -Z");
    assert.throws(() => parseRun(['--name']), (e: unknown) => e instanceof FlagError && e.message === 'flag needs an argument: --name');
    assert.throws(() => parseRun(['-e']), (e: unknown) => e instanceof FlagError && e.message === "flag needs an argument: 'e' in -e");
    assert.throws(() => parseRun(['---x']), (e: unknown) => e instanceof FlagError && e.message === 'bad flag syntax: ---x');
  });

  it('rejects bad values with pflag wording', () => {
    const specs: FlagSpec[] = [
      { name: 'last', short: 'n', kind: 'int', usage: '' },
      { name: 'rm', kind: 'bool', usage: '' },
    ];
    assert.throws(
      () => parseFlags(specs, ['-n', 'abc']),
      (e: unknown) => e instanceof FlagError && e.message === 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    );
    assert.throws(
      () => parseFlags(specs, ['--rm=maybe']),
      (e: unknown) => e instanceof FlagError && e.message === 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
    assert.throws(() => parseRun(['--memory', 'lots', 'img']), (e: unknown) => e instanceof FlagError && e.message === 'invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'');
    assert.throws(
      () => parseRun(['--mount', 'type=bind,source=/x', 'img']),
      (e: unknown) => e instanceof FlagError && e.message === 'invalid argument "type=bind,source=/x" for "--mount" flag: target is required',
    );
  });

  it('parses sizes and durations', () => {
    const f = parseRun(['-m', '32m', '--shm-size=1g', '--health-interval', '1m30s', 'img']);
    assert.equal(f.number('memory'), 32 * 1024 * 1024);
    assert.equal(f.number('shm-size'), 1024 * 1024 * 1024);
    assert.equal(f.number('health-interval'), 90e9);
  });

  it('stores hidden aliases into their flag (--net → --network)', () => {
    const f = parseRun(['--net', 'none', 'img']);
    assert.deepEqual(f.list('network'), ['none']);
  });

  it('asks for help on --help, and on -h where -h is not a flag', () => {
    assert.throws(() => parseFlags([], ['--help']), HelpRequested);
    assert.throws(() => parseFlags([], ['-h']), HelpRequested);
    // run's -h is --hostname.
    assert.equal(parseRun(['-h', 'box', 'img']).string('hostname'), 'box');
  });

  it('renders usage like pflag FlagUsagesWrapped (79 columns)', () => {
    const text = flagUsages([
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', defaultText: '-1' },
      { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
    ]);
    assert.equal(
      text,
      '  -a, --all             Show all containers (default shows just running)\n' +
        '  -f, --filter filter   Filter output based on conditions provided\n' +
        '  -n, --last int        Show n last created containers (includes all\n' +
        '                        states) (default -1)\n',
    );
  });
});
