import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { acquire, isStale, parseOwner, release, withLock } from './lock.ts';
import { isAlive, readPid, removePid, writePid } from './process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulse-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that just existed and has exited (and been reaped), so nothing runs under it. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid);
  return child.pid;
}

describe('pid files', () => {
  test('round-trip and removal', () => {
    const file = join(dir, 'pids', 'x.pid');
    assert.equal(readPid(file), undefined);
    writePid(file, 4242);
    assert.equal(readFileSync(file, 'utf8'), '4242\n');
    assert.equal(readPid(file), 4242);
    removePid(file);
    assert.equal(readPid(file), undefined);
  });

  test('garbage is not a pid', () => {
    const file = join(dir, 'garbage.pid');
    writeFileSync(file, 'not a pid');
    assert.equal(readPid(file), undefined);
  });

  test('isAlive tells this process from a finished one', () => {
    assert.equal(isAlive(process.pid), true);
    assert.equal(isAlive(deadPid()), false);
  });
});

describe('stack lock', () => {
  test('one holder at a time; the waiter gets it after release', async () => {
    const file = join(dir, 'a.lock');
    const first = await acquire(file);
    let waited = false;
    const second = acquire(file, { timeoutMs: 5_000, onWait: () => (waited = true) });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(waited, true);
    release(file, first);
    const owner = await second;
    assert.equal(parseOwner(readFileSync(file, 'utf8'))?.token, owner.token);
    release(file, owner);
  });

  test('times out while someone else holds it', async () => {
    const file = join(dir, 'b.lock');
    const holder = await acquire(file);
    await assert.rejects(acquire(file, { timeoutMs: 300 }), /timed out waiting for lock/);
    release(file, holder);
  });

  test('a lock left by a dead process is broken', async () => {
    const file = join(dir, 'c.lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), token: 'old', since: Date.now() }));
    const owner = await acquire(file, { timeoutMs: 1_000 });
    assert.notEqual(owner.token, 'old');
    release(file, owner);
  });

  test('an empty lock file is a creator mid-write until it is old', () => {
    const file = join(dir, 'd.lock');
    writeFileSync(file, '');
    assert.equal(isStale(file, undefined, 60_000), false);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(file, old, old);
    assert.equal(isStale(file, undefined, 60_000), true);
  });

  test('withLock is re-entrant in one process and releases after', async () => {
    const file = join(dir, 'e.lock');
    const result = await withLock(file, () => withLock(file, async () => 'inner'));
    assert.equal(result, 'inner');
    assert.throws(() => readFileSync(file), /ENOENT/);
  });

  test('release leaves a lock that someone else holds', async () => {
    const file = join(dir, 'f.lock');
    const owner = await acquire(file);
    release(file, { ...owner, token: 'someone-else' });
    assert.equal(parseOwner(readFileSync(file, 'utf8'))?.token, owner.token);
    release(file, owner);
  });
});

test('concurrent withLock calls in one process take turns', async () => {
  const file = join(dir, 'g.lock');
  const order: string[] = [];
  const job = (name: string) =>
    withLock(file, async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} out`);
    });
  await Promise.all([job('a'), job('b')]);
  assert.deepEqual(order, ['a in', 'a out', 'b in', 'b out']);
});
