import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG } from '../services/platform/config.ts';
import { settingsOf } from '../services/platform/config-spec.ts';
import { configurationMarkdown, envExample } from './config-docs.ts';

const repo = new URL('../', import.meta.url);

describe('configuration reference', () => {
  it('the committed docs/configuration.md and .env.example are the ones the table generates', () => {
    assert.equal(readFileSync(new URL('docs/configuration.md', repo), 'utf8'), configurationMarkdown());
    assert.equal(readFileSync(new URL('.env.example', repo), 'utf8'), envExample());
  });

  it('names every variable once in each, with its default and production rule', () => {
    const md = configurationMarkdown();
    const env = envExample();
    for (const s of settingsOf(CONFIG)) {
      const row = md.split('\n').find((l) => l.startsWith(`| \`${s.name}\``));
      assert.ok(row, `${s.name} in docs/configuration.md`);
      if (s.defaultText !== undefined) assert.ok(row.includes(s.defaultText), `${s.name} default`);
      if (s.production) assert.ok(row.includes(s.production), `${s.name} production rule`);
      assert.equal(
        env.split('\n').filter((l) => l.startsWith(`# ${s.name}=`)).length,
        1,
        `${s.name} in .env.example`,
      );
    }
  });

  it('prints no secret default: development secrets stay out of .env.example', () => {
    const env = envExample();
    assert.doesNotMatch(env, /local-development-only|local-internal-token/);
    assert.match(env, /^# PULSE_HASH_SECRET=$/m);
    assert.match(env, /^# SMTP_PASSWORD=$/m);
  });
});
