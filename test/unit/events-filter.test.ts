import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventFilter } from '../../src/engine/events-filter.js';
import type { EngineEvent } from '../../src/engine/events.js';

const ev = (Type: EngineEvent['Type'], Action: string, ID: string, Attributes: Record<string, string> = {}): EngineEvent => ({
  Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 0, timeNano: 0,
});
const f = (o: Record<string, string[]>): ((e: EngineEvent) => boolean) => eventFilter(new Map(Object.entries(o)));

test('events filter like moby', () => {
  const start = ev('container', 'start', 'abcdef0123', { name: 'web', image: 'busybox', tier: 'front' });
  const pull = ev('image', 'pull', 'docker.io/library/busybox:latest', { name: 'docker.io/library/busybox:latest' });
  const health = ev('container', 'health_status: healthy', 'abcdef0123', { name: 'web' });
  assert.equal(f({})(start), true);
  assert.equal(f({ type: ['container'] })(pull), false);
  assert.equal(f({ event: ['start', 'die'] })(start), true);
  assert.equal(f({ event: ['health_status'] })(health), true);
  assert.equal(f({ container: ['web'] })(start), true);
  assert.equal(f({ container: ['abc'] })(start), true);
  assert.equal(f({ container: ['other'] })(start), false);
  assert.equal(f({ container: ['web'] })(pull), false);
  assert.equal(f({ image: ['busybox'] })(start), true);
  assert.equal(f({ image: ['busybox'] })(pull), true);
  assert.equal(f({ image: ['alpine'] })(pull), false);
  assert.equal(f({ label: ['tier=front'] })(start), true);
  assert.equal(f({ label: ['tier=back'] })(start), false);
  assert.equal(f({ label: ['tier'] })(start), true);
  assert.throws(() => f({ colour: ['red'] }), /invalid filter 'colour'/);
});
