import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSecretBox, parseEncryptionKeys } from './secret-box.ts';

const k1 = { kid: 'k1', key: randomBytes(32) };
const k0 = { kid: 'k0', key: randomBytes(32) };
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

describe('secret box (AES-256-GCM at rest)', () => {
  it('round-trips, with a fresh IV each time, in the enc:v1 format', () => {
    const box = createSecretBox([k1]);
    const a = box.encrypt('whsec_abc');
    const b = box.encrypt('whsec_abc');
    assert.match(a, /^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('whsec_abc'));
    assert.equal(box.decrypt(a), 'whsec_abc');
    assert.equal(box.decrypt(box.encrypt('')), '');
    assert.equal(box.decrypt(box.encrypt('ünïcødé ✓')), 'ünïcødé ✓');
  });

  it('refuses tampered ciphertext, a relabelled key id, plaintext and malformed values', () => {
    const box = createSecretBox([k1, k0]);
    const stored = box.encrypt('secret');
    const parts = stored.split(':');
    const ct = Buffer.from(parts[4] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    assert.equal(
      code(() => box.decrypt([...parts.slice(0, 4), ct.toString('base64url')].join(':'))),
      'INTERNAL',
    );
    assert.equal(
      code(() => box.decrypt(stored.replace('enc:v1:k1:', 'enc:v1:k0:'))),
      'INTERNAL',
    );
    assert.equal(
      code(() => box.decrypt('secret')),
      'INTERNAL',
    );
    assert.equal(
      code(() => box.decrypt('enc:v1:k1:abc')),
      'INTERNAL',
    );
    assert.equal(
      code(() => box.decrypt(stored.replace('enc:v1:k1:', 'enc:v1:k9:'))),
      'INTERNAL',
    );
  });

  it('rotates: the first key encrypts, every listed key decrypts', () => {
    const old = createSecretBox([k0]);
    const legacy = old.encrypt('from before');
    const rotated = createSecretBox([k1, k0]);
    assert.equal(rotated.decrypt(legacy), 'from before');
    assert.ok(!rotated.isCurrent(legacy));
    const fresh = rotated.encrypt('after');
    assert.ok(rotated.isCurrent(fresh));
    assert.equal(
      code(() => old.decrypt(fresh)),
      'INTERNAL',
      'a removed key can no longer read',
    );
  });

  it('parses the key list and reports every bad entry', () => {
    const raw = `k1:${k1.key.toString('base64')},k0:${k0.key.toString('base64')}`;
    const ok = parseEncryptionKeys(raw);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.keys.map((k) => k.kid),
      ['k1', 'k0'],
    );
    const bad = parseEncryptionKeys(
      `nokid,short:${randomBytes(8).toString('base64')},k1:${k1.key.toString('base64')},k1:${k1.key.toString('base64')}`,
    );
    assert.equal(bad.problems.length, 3);
    assert.deepEqual(
      bad.keys.map((k) => k.kid),
      ['k1'],
    );
  });
});
