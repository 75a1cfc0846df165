import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryCommand } from '../../src/engine/containers/container-view.js';

test('the list Command quotes arguments with spaces, as dockerd does', () => {
  assert.equal(summaryCommand('sleep', ['1000']), 'sleep 1000');
  assert.equal(summaryCommand('sh', ['-c', 'exit 2']), "sh -c 'exit 2'");
  assert.equal(summaryCommand('true', []), 'true');
  // Only a space triggers quoting (moby's strings.Contains(arg, " ")).
  assert.equal(summaryCommand('echo', ['a\tb', '']), 'echo a\tb ');
});
