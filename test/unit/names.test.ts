import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  NAME_ADJECTIVES,
  NAME_SURNAMES,
  generateName,
  invalidNameMessage,
  isValidContainerName,
  randomName,
} from '../../src/lib/names.js';

/** A rand() that picks the given list indexes in turn. */
function picks(...seq: Array<[number, number]>): () => number {
  const vals = seq.map(([i, n]) => (i + 0.5) / n);
  let k = 0;
  return () => {
    if (k >= vals.length) throw new Error('rand sequence exhausted');
    return vals[k++];
  };
}

const A = NAME_ADJECTIVES.length;
const N = NAME_SURNAMES.length;

describe('name lists', () => {
  it('are long, lower-case and free of duplicates', () => {
    assert.ok(A >= 80, `only ${A} adjectives`);
    assert.ok(N >= 150, `only ${N} surnames`);
    for (const w of [...NAME_ADJECTIVES, ...NAME_SURNAMES]) assert.match(w, /^[a-z]+$/);
    assert.equal(new Set(NAME_ADJECTIVES).size, A);
    assert.equal(new Set(NAME_SURNAMES).size, N);
  });
});

describe('generateName', () => {
  it('is adjective_surname', () => {
    const rand = picks([NAME_ADJECTIVES.indexOf('focused'), A], [NAME_SURNAMES.indexOf('turing'), N]);
    assert.equal(generateName(0, rand), 'focused_turing');
  });

  it('never returns boring_wozniak', () => {
    const rand = picks(
      [NAME_ADJECTIVES.indexOf('boring'), A],
      [NAME_SURNAMES.indexOf('wozniak'), N],
      [NAME_ADJECTIVES.indexOf('boring'), A],
      [NAME_SURNAMES.indexOf('hopper'), N],
    );
    assert.equal(generateName(0, rand), 'boring_hopper');
  });

  it('appends one digit on retries', () => {
    const rand = picks([0, A], [0, N], [7, 10]);
    assert.equal(generateName(1, rand), `${NAME_ADJECTIVES[0]}_${NAME_SURNAMES[0]}7`);
  });

  it('produces valid container names', () => {
    for (let i = 0; i < 500; i++) {
      const n = generateName(i % 2);
      assert.match(n, /^[a-z]+_[a-z]+\d?$/);
      assert.ok(isValidContainerName(n));
      assert.notEqual(n, 'boring_wozniak');
    }
  });
});

describe('randomName', () => {
  it('returns the first free name, without a digit', () => {
    assert.match(randomName(), /^[a-z]+_[a-z]+$/);
  });

  it('retries with a digit when the name is taken', () => {
    const rand = picks([1, A], [2, N], [1, A], [2, N], [4, 10]);
    const base = `${NAME_ADJECTIVES[1]}_${NAME_SURNAMES[2]}`;
    const seen: string[] = [];
    const name = randomName((n) => {
      seen.push(n);
      return n === base;
    }, rand);
    assert.equal(name, base + '4');
    assert.deepEqual(seen, [base, base + '4']);
  });

  it('keeps going past the point moby gives up, and never returns a taken name', () => {
    const taken = new Set<string>();
    let calls = 0;
    const name = randomName((n) => {
      calls++;
      if (calls <= 20) {
        taken.add(n);
        return true;
      }
      return taken.has(n);
    });
    assert.ok(!taken.has(name));
    assert.ok(calls > 20);
    assert.match(name, /^[a-z]+_[a-z]+\d+$/);
  });

  it('throws when every name is taken', () => {
    assert.throws(() => randomName(() => true), /unique container name/);
  });
});

describe('container name validation', () => {
  it('accepts docker-valid names', () => {
    for (const n of ['ab', 'web', '/web', 'my_app.v1-2', 'A1', '0x', 'a.b', 'a-', 'a_']) {
      assert.equal(isValidContainerName(n), true, n);
    }
  });
  it('rejects invalid names', () => {
    // One character is too short for ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$.
    for (const n of ['', 'a', '/a', '_ab', '.ab', '-ab', 'a b', 'a/b', '//ab', 'héllo', 'a:b', 'ab\n']) {
      assert.equal(isValidContainerName(n), false, JSON.stringify(n));
    }
  });
  it('words the error like Docker', () => {
    assert.equal(invalidNameMessage('a b'), 'Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  });
});
