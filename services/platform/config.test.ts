import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from './config.ts';

const strong = () => randomBytes(32).toString('base64');
const keys = () => `k2:${strong()},k1:${strong()}`;
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message.split('\n  - ').slice(1);
  }
  return [];
};

describe('config: secrets', () => {
  it('boots locally on development defaults', () => {
    const c = loadConfig({});
    assert.equal(c.encryptionKeys.length, 1);
    assert.ok(c.internalSigningKey.length > 0);
  });

  it('refuses to boot in production when any secret is missing, listing every one', () => {
    const got = problems({ NODE_ENV: 'production' });
    assert.equal(got.length, 3, got.join('\n'));
    assert.ok(got.some((p) => p.startsWith('PULSE_HASH_SECRET is required')));
    assert.ok(
      got.some((p) => p.startsWith('PULSE_INTERNAL_SIGNING_KEY (or PULSE_INTERNAL_TOKEN) is required')),
    );
    assert.ok(got.some((p) => p.startsWith('PULSE_ENCRYPTION_KEYS is required')));
  });

  it('refuses development defaults, short secrets and bad encryption keys in production', () => {
    const got = problems({
      NODE_ENV: 'production',
      PULSE_HASH_SECRET: 'local-development-only',
      PULSE_INTERNAL_TOKEN: 'short',
      PULSE_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}`,
    });
    assert.deepEqual(
      got.map((p) => p.split(' ').slice(0, 3).join(' ')),
      [
        'PULSE_ENCRYPTION_KEYS key "k1"',
        'PULSE_HASH_SECRET is the',
        'PULSE_INTERNAL_SIGNING_KEY (or PULSE_INTERNAL_TOKEN)',
      ],
    );
    assert.match(got[2] ?? '', /at least 32 bytes, got 5/);
  });

  it('refuses one secret reused as another', () => {
    const same = strong();
    const got = problems({
      NODE_ENV: 'production',
      PULSE_HASH_SECRET: same,
      PULSE_INTERNAL_SIGNING_KEY: same,
      PULSE_ENCRYPTION_KEYS: keys(),
    });
    assert.deepEqual(got, ['PULSE_INTERNAL_SIGNING_KEY must differ from PULSE_HASH_SECRET']);
  });

  it('boots in production with strong secrets; the legacy PULSE_INTERNAL_TOKEN name still works', () => {
    const token = strong();
    const c = loadConfig({
      NODE_ENV: 'production',
      PULSE_HASH_SECRET: strong(),
      PULSE_INTERNAL_TOKEN: token,
      PULSE_ENCRYPTION_KEYS: keys(),
    });
    assert.equal(c.internalSigningKey, token);
    assert.deepEqual(
      c.encryptionKeys.map((k) => k.kid),
      ['k2', 'k1'],
    );
  });
});
