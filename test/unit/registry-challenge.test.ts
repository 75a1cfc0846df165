import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mergeScopes, parseScope, parseWwwAuthenticate, repositoryScope, scopeString, scopesCover } from '../../src/drivers/registry/challenge.js';

test('parses a Docker Hub style bearer challenge', () => {
  const c = parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/busybox:pull"');
  assert.deepEqual(c, [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:library/busybox:pull' } },
  ]);
});

test('parses basic, unquoted values, escapes, and several challenges in one header', () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="basic-realm"'), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm=http://h/t, service=s'), [{ scheme: 'bearer', params: { realm: 'http://h/t', service: 's' } }]);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="a\\"b"'), [{ scheme: 'bearer', params: { realm: 'a"b' } }]);
  const two = parseWwwAuthenticate('Basic realm="r", Bearer realm="https://t",error="insufficient_scope"');
  assert.equal(two.length, 2);
  assert.equal(two[0].scheme, 'basic');
  assert.deepEqual(two[1].params, { realm: 'https://t', error: 'insufficient_scope' });
  assert.deepEqual(parseWwwAuthenticate(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme), ['basic', 'bearer']);
  assert.deepEqual(parseWwwAuthenticate(undefined), []);
});

test('scope strings', () => {
  assert.equal(scopeString(repositoryScope('library/busybox', ['pull'])), 'repository:library/busybox:pull');
  assert.equal(scopeString(repositoryScope('a/b', ['pull', 'push'])), 'repository:a/b:pull,push');
  assert.deepEqual(parseScope('repository:127.0.0.1:5000/x:pull,push'), { type: 'repository', name: '127.0.0.1:5000/x', actions: ['pull', 'push'] });
  assert.equal(parseScope('nonsense'), undefined);
  assert.deepEqual(mergeScopes([repositoryScope('a', ['pull']), repositoryScope('a', ['push', 'pull']), repositoryScope('b', ['pull'])]).map(scopeString), [
    'repository:a:pull,push',
    'repository:b:pull',
  ]);
  assert.ok(scopesCover([repositoryScope('a', ['pull', 'push'])], [repositoryScope('a', ['pull'])]));
  assert.ok(!scopesCover([repositoryScope('a', ['pull'])], [repositoryScope('a', ['push'])]));
  assert.ok(!scopesCover([repositoryScope('a', ['pull'])], [repositoryScope('b', ['pull'])]));
  assert.ok(scopesCover([repositoryScope('a', ['*'])], [repositoryScope('a', ['push'])]));
});
