import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  familiarMatch,
  familiarName,
  familiarString,
  parseAnyReference,
  parseNormalizedNamed,
  parseTaggedOrDigested,
  pathMatch,
  referenceString,
  repoTagReference,
  shortId,
  isNamed,
} from '../../src/engine/images/reference.js';
import { InvalidParameterError } from '../../src/lib/errors.js';

const hex = 'a'.repeat(64);

test('normalizes names like Docker', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/x/y:tag', 'localhost:5000/x/y:tag'],
    ['host:5000/x/y:tag', 'host:5000/x/y:tag'],
    ['registry.example.com/a/b/c', 'registry.example.com/a/b/c:latest'],
    ['a.b-c__d/e', 'a.b-c__d/e:latest'],
    [`busybox@sha256:${hex}`, `docker.io/library/busybox@sha256:${hex}`],
    [`busybox:1@sha256:${hex}`, `docker.io/library/busybox:1@sha256:${hex}`],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['Upper.example.com/app', 'Upper.example.com/app:latest'],
  ];
  for (const [input, want] of cases) assert.equal(referenceString(parseTaggedOrDigested(input)), want, input);
});

test('familiar forms are shown as Docker shows them', () => {
  const cases: [string, string, string][] = [
    ['docker.io/library/busybox:latest', 'busybox:latest', 'busybox'],
    ['docker.io/user/app:1', 'user/app:1', 'user/app'],
    ['docker.io/library/a/b:1', 'library/a/b:1', 'library/a/b'],
    ['localhost:5000/x:y', 'localhost:5000/x:y', 'localhost:5000/x'],
    [`busybox@sha256:${hex}`, `busybox@sha256:${hex}`, 'busybox'],
  ];
  for (const [input, fs, fn] of cases) {
    const r = parseNormalizedNamed(input);
    assert.equal(familiarString(r), fs, input);
    assert.equal(familiarName(r), fn, input);
  }
  assert.equal(parseNormalizedNamed('busybox').tag, undefined, 'no default tag without TagNameOnly');
});

test('invalid references fail with Docker wording', () => {
  const cases: [string, RegExp][] = [
    ['Busybox', /^invalid reference format: repository name \(library\/Busybox\) must be lowercase$/],
    ['user/App:1', /^invalid reference format: repository name \(user\/App\) must be lowercase$/],
    ['busy box', /^invalid reference format$/],
    ['busybox:', /^invalid reference format$/],
    ['busybox:-tag', /^invalid reference format$/],
    [':tag', /^invalid reference format$/],
    ['/busybox', /^invalid reference format$/],
    ['busybox//x', /^invalid reference format$/],
    ['-busybox', /^invalid reference format$/],
    ['busybox@sha256:abc', /^invalid reference format$/],
    [`busybox@sha256:${'a'.repeat(40)}`, /invalid checksum digest length/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['', /invalid reference format|at least one component/],
    [hex, /cannot specify 64-byte hexadecimal strings/],
    ['a/' + 'b'.repeat(260), /must not be more than 255 characters/],
    ['busybox:' + 't'.repeat(129), /^invalid reference format$/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => parseNormalizedNamed(input),
      (err: unknown) => err instanceof InvalidParameterError && re.test(err.message),
      `${input} should fail with ${re}`,
    );
  }
});

test('parseAnyReference recognises IDs and digests', () => {
  const a = parseAnyReference(hex);
  assert.ok(!isNamed(a));
  assert.equal((a as { digestOnly: string }).digestOnly, `sha256:${hex}`);
  const b = parseAnyReference(`sha256:${hex}`);
  assert.ok(!isNamed(b));
  // A short ID with prefix parses as a name (repository "sha256", tag "abc"), as in Docker.
  const c = parseAnyReference('sha256:abc');
  assert.ok(isNamed(c));
  assert.equal(c.path, 'library/sha256');
  assert.equal(c.tag, 'abc');
  assert.ok(isNamed(parseAnyReference('abc123')));
});

test('repoTagReference for tag and import', () => {
  assert.equal(referenceString(repoTagReference('busybox', 'old')), 'docker.io/library/busybox:old');
  assert.equal(referenceString(repoTagReference('busybox', '')), 'docker.io/library/busybox:latest');
  assert.equal(referenceString(repoTagReference('me/app:1', '')), 'docker.io/me/app:1');
  assert.throws(() => repoTagReference('', 'x'), InvalidParameterError);
  assert.throws(() => repoTagReference('busybox', 'bad tag'), /invalid tag format/);
  assert.throws(() => repoTagReference(`busybox@sha256:${hex}`, ''), /digest/);
  assert.throws(() => repoTagReference('Busybox', ''), /must be lowercase/);
});

test('Go path.Match semantics for the reference filter', () => {
  assert.ok(pathMatch('busy*', 'busybox:latest'));
  assert.ok(pathMatch('busybox:lat*', 'busybox:latest'));
  assert.ok(!pathMatch('busy*', 'user/busybox'));
  assert.ok(pathMatch('*/*', 'user/app'));
  assert.ok(pathMatch('b?sybox', 'busybox'));
  assert.ok(pathMatch('[a-c]usybox', 'busybox'));
  assert.ok(!pathMatch('[^a-c]usybox', 'busybox'));
  assert.ok(pathMatch('a\\*b', 'a*b'));
  assert.ok(!pathMatch('a\\*b', 'axb'));
  assert.ok(pathMatch('a.b', 'a.b'));
  assert.ok(!pathMatch('a.b', 'axb'));
  assert.throws(() => pathMatch('[abc', 'a'), InvalidParameterError);
  const r = parseTaggedOrDigested('busybox:1.36');
  assert.ok(familiarMatch('busybox', r), 'matches the familiar name');
  assert.ok(familiarMatch('busybox:1.*', r));
  assert.ok(!familiarMatch('busybox:2*', r));
  assert.ok(familiarMatch('user/*', parseTaggedOrDigested('user/app')));
});

test('shortId', () => {
  assert.equal(shortId(`sha256:${hex}`), 'aaaaaaaaaaaa');
  assert.equal(shortId('0123456789abcdef'), '0123456789ab');
});
