import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, type RecordedHistory } from '../scripts/record-histories.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { workflowBundle } from './worker.ts';

/**
 * Every recorded history in test/histories/ must replay through the current interpreter without a
 * nondeterminism error. A failure here means an interpreter change altered what old journeys do: guard
 * it with patched() (see engine/interpreter/execute.ts) instead of changing behaviour in place.
 */
describe('replay of recorded histories', () => {
  it('replays every history deterministically', async () => {
    quietTemporalRuntime();
    const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'no histories: run `npm run histories:record`');
    assert.ok(files.filter((f) => f.startsWith('pulse-')).length >= 9, 'histories of the nine pulses');
    const histories = files.map((file) => {
      const recorded = JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')) as RecordedHistory;
      // fromObject reads the proto3 JSON the recorder wrote (historyFromJSON trips over the two
      // protobufjs copies installed under @temporalio).
      const history = proto.temporal.api.history.v1.History.fromObject(recorded.history as object);
      return { file, workflowId: recorded.workflowId, history };
    });
    assert.equal(new Set(histories.map((h) => h.workflowId)).size, files.length, 'workflow ids are unique');
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories,
    )) {
      replayed += 1;
      const file = histories.find((h) => h.workflowId === result.workflowId)?.file;
      if (result.error) failures.push(`${file}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
