import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { displayJsonMessagesStream, renderProgress } from '../../src/cli/json-progress.js';
import { progressBar } from '../../src/engine/images/image-load.js';

function sink(): { w: Writable; text: () => string } {
  let s = '';
  return {
    w: new Writable({
      write(c, _e, cb) {
        s += c.toString();
        cb();
      },
    }),
    text: () => s,
  };
}

async function* lines(msgs: unknown[]): AsyncGenerator<string> {
  for (const m of msgs) yield JSON.stringify(m) + '\r\n';
}

test('renders progress like docker JSONProgress.String()', () => {
  assert.equal(renderProgress({}, 200), '');
  assert.equal(renderProgress({ current: 0, total: 1000 }, 200), `[>${' '.repeat(50)}]       0B/1kB`);
  assert.equal(renderProgress({ current: 524288, total: 1113000 }, 200), `[=======================>${' '.repeat(27)}]  524.3kB/1.113MB`);
  assert.equal(renderProgress({ current: 1113000, total: 1113000 }, 200), `[${'='.repeat(50)}>]  1.113MB/1.113MB`);
  // Narrow terminals get no bar, only the counts.
  assert.equal(renderProgress({ current: 500, total: 1000 }, 80), '    500B/1kB');
  assert.equal(renderProgress({ current: 2048 }, 200), ' 2.048kB');
  assert.equal(renderProgress({ current: 3000, total: 1000 }, 80), '     3kB');
});

test('the daemon-side progress string has the same bar', () => {
  assert.equal(progressBar(524288, 1113000), `[=======================>${' '.repeat(27)}]  524.3kB/1.113MB`);
});

const pull = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' },
  { status: 'Downloading', progressDetail: { current: 50, total: 100 }, progress: '[=>] 50B/100B', id: 'aaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'aaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'bbb' },
  { status: 'Digest: sha256:abc' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

test('plain output: status lines, no bars', async () => {
  const s = sink();
  await displayJsonMessagesStream(lines(pull), s.w, { isTerminal: false });
  assert.equal(
    s.text(),
    'latest: Pulling from library/busybox\naaa: Pulling fs layer\nbbb: Pulling fs layer\naaa: Pull complete\nbbb: Pull complete\nDigest: sha256:abc\nStatus: Downloaded newer image for busybox:latest\n',
  );
});

test('terminal output: one line per layer, redrawn in place with cursor movement', async () => {
  const s = sink();
  await displayJsonMessagesStream(lines(pull), s.w, { isTerminal: true, width: 120 });
  const t = s.text();
  // New ids open a line and draw on it; later updates move up to their line and back.
  assert.ok(t.startsWith('latest: Pulling from library/busybox\n\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B'), JSON.stringify(t));
  assert.ok(t.includes('\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B'));
  assert.ok(t.includes(`\x1b[2A\x1b[2K\raaa: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B\r\x1b[2B`), JSON.stringify(t));
  assert.ok(t.includes('\x1b[1A\x1b[2K\rbbb: Pull complete \r\x1b[1B'));
  assert.ok(t.endsWith('Digest: sha256:abc\nStatus: Downloaded newer image for busybox:latest\n'));
});

test('an error in the stream is thrown; aux messages go to the callback', async () => {
  const auxes: unknown[] = [];
  const s = sink();
  await displayJsonMessagesStream(lines([{ progressDetail: {}, aux: { Tag: 'latest', Digest: 'sha256:x', Size: 3 } }]), s.w, { isTerminal: false, onAux: (a) => auxes.push(a) });
  assert.deepEqual(auxes, [{ Tag: 'latest', Digest: 'sha256:x', Size: 3 }]);
  await assert.rejects(
    displayJsonMessagesStream(lines([{ status: 'x' }, { errorDetail: { message: 'boom' }, error: 'boom' }]), s.w, { isTerminal: false }),
    /boom/,
  );
});
