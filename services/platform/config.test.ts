import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CONFIG, loadConfig } from './config.ts';
import { settingsOf } from './config-spec.ts';

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
/** What production demands of email, so the secret tests see only secret problems. */
const MAIL = { SMTP_SECURE: 'starttls', SMTP_FROM: 'Acme <rewards@acme.example>' };

describe('config: secrets', () => {
  it('boots locally on development defaults', () => {
    const c = loadConfig({});
    assert.equal(c.encryptionKeys.length, 1);
    assert.ok(c.internalSigningKey.length > 0);
  });

  it('refuses to boot in production when any secret is missing, listing every one', () => {
    const got = problems({ NODE_ENV: 'production', ...MAIL });
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
      ...MAIL,
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
      ...MAIL,
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
      ...MAIL,
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

describe('config: the table', () => {
  it('lists every problem at once, across groups, without throwing on the first', () => {
    const got = problems({
      PORT: 'eighty',
      PULSE_BUS: 'kafka',
      SMTP_SECURE: 'ssl',
      SMTP_TLS_REJECT_UNAUTHORIZED: 'maybe',
      PULSE_RATE_KEY: '10',
      PULSE_TRUSTED_PROXIES: '10.0.0.0/8,not-a-cidr',
      SMTP_USER: 'mailer',
    });
    assert.deepEqual(
      got.map((p) => p.split(' ')[0]),
      [
        'PORT',
        'PULSE_BUS',
        'PULSE_TRUSTED_PROXIES',
        'SMTP_SECURE',
        'SMTP_TLS_REJECT_UNAUTHORIZED',
        'PULSE_RATE_KEY',
        'SMTP_USER',
      ],
    );
    assert.match(got[3] ?? '', /none or opportunistic or starttls or tls, got "ssl"/);
  });

  it('parses email settings; SMTP_USER and SMTP_PASSWORD go together', () => {
    const c = loadConfig({
      SMTP_HOST: 'smtp.acme.example',
      SMTP_PORT: '587',
      SMTP_SECURE: 'starttls',
      SMTP_USER: 'u',
      SMTP_PASSWORD: 'p',
      SMTP_FROM: 'Acme <a@acme.example>',
      SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
    });
    assert.equal(c.smtpPort, 587);
    assert.equal(c.smtpSecure, 'starttls');
    assert.equal(c.smtpTlsRejectUnauthorized, false);
    assert.equal(c.smtpFrom, 'Acme <a@acme.example>');
    assert.deepEqual(problems({ SMTP_PASSWORD: 'p' }), ['SMTP_PASSWORD is set without SMTP_USER']);
    const d = loadConfig({});
    assert.equal(d.smtpSecure, 'none');
    assert.equal(d.smtpUser, undefined);
    assert.equal(d.smtpTlsRejectUnauthorized, true);
  });

  it('production requires TLS to the relay, verified certificates and a From address, and says why', () => {
    const base = {
      NODE_ENV: 'production',
      PULSE_HASH_SECRET: strong(),
      PULSE_INTERNAL_SIGNING_KEY: strong(),
      PULSE_ENCRYPTION_KEYS: keys(),
    };
    const got = problems({
      ...base,
      SMTP_SECURE: 'opportunistic',
      SMTP_USER: 'u',
      SMTP_PASSWORD: 'p',
      SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
    });
    assert.deepEqual(got, [
      'SMTP_SECURE must be starttls or tls in production, got "opportunistic": with opportunistic the mail and SMTP_PASSWORD can cross the network in clear',
      'SMTP_TLS_REJECT_UNAUTHORIZED=false is for development relays only, not production',
      'SMTP_FROM is required in production',
    ]);
    assert.equal(loadConfig({ ...base, ...MAIL, SMTP_SECURE: 'tls' }).smtpSecure, 'tls');
  });

  it('PULSE_PUBLIC_URL follows PORT unless set; a bad one is refused', () => {
    assert.equal(loadConfig({ PORT: '4100' }).publicBaseUrl, 'http://127.0.0.1:4100');
    assert.equal(loadConfig({ PULSE_PUBLIC_URL: 'https://p.example/' }).publicBaseUrl, 'https://p.example');
    assert.deepEqual(problems({ PULSE_PUBLIC_URL: 'javascript:alert(1)' }), [
      'PULSE_PUBLIC_URL must be an http(s) URL, got "javascript:alert(1)"',
    ]);
  });

  it('every entry is documented: a unique name, a description, and secrets marked', () => {
    const all = settingsOf(CONFIG);
    const names = all.map((s) => s.name);
    assert.equal(new Set(names).size, names.length, 'no variable twice');
    for (const s of all) assert.ok(s.description.length > 10, `${s.name} has a description`);
    const secrets = all.filter((s) => s.secret).map((s) => s.name);
    for (const n of [
      'PULSE_HASH_SECRET',
      'PULSE_INTERNAL_SIGNING_KEY',
      'PULSE_ENCRYPTION_KEYS',
      'SMTP_PASSWORD',
    ])
      assert.ok(secrets.includes(n), `${n} is secret`);
  });

  it('the result is frozen, nested sections too', () => {
    const c = loadConfig({ PULSE_RATE_KEY: '10/2' });
    assert.deepEqual(c.rateLimits.key, { burst: 10, perSecond: 2 });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.rateLimits));
  });
});

describe('config: sign-in', () => {
  const prod = () => ({
    NODE_ENV: 'production',
    ...MAIL,
    PULSE_HASH_SECRET: strong(),
    PULSE_INTERNAL_SIGNING_KEY: strong(),
    PULSE_ENCRYPTION_KEYS: keys(),
  });

  it('defaults PULSE_ENV from NODE_ENV and refuses development in production', () => {
    assert.equal(loadConfig({}).environment, 'development');
    assert.equal(loadConfig(prod()).environment, 'production');
    assert.deepEqual(problems({ ...prod(), PULSE_ENV: 'development' }), [
      'PULSE_ENV=development is not allowed with NODE_ENV=production',
    ]);
    assert.match(problems({ PULSE_ENV: 'staging' })[0] ?? '', /PULSE_ENV must be development or production/);
  });

  it('checks the OIDC settings and the session lifetimes', () => {
    assert.deepEqual(problems({ ...prod(), OIDC_ISSUER: 'http://idp.internal', OIDC_CLIENT_ID: 'pulse' }), [
      'OIDC_ISSUER must use https in production (the ID token keys are fetched from it)',
    ]);
    assert.deepEqual(problems({ OIDC_ISSUER: 'https://idp.example' }), [
      'OIDC_ISSUER is set without OIDC_CLIENT_ID',
    ]);
    assert.deepEqual(problems({ PULSE_SESSION_IDLE_MINUTES: '600', PULSE_SESSION_MAX_MINUTES: '60' }), [
      'PULSE_SESSION_IDLE_MINUTES is longer than PULSE_SESSION_MAX_MINUTES',
    ]);
    assert.match(problems({ PULSE_SESSION_IDLE_MINUTES: '0' })[0] ?? '', /whole number of minutes/);
    assert.deepEqual(loadConfig({ PULSE_PLATFORM_ADMINS: 'Ops@Acme.test, root@acme.test' }).platformAdmins, [
      'ops@acme.test',
      'root@acme.test',
    ]);
  });
});
