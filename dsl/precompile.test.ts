import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadTemplateDir } from '../contract/template-files.ts';
import { DEFAULT_CAMPAIGNS_DIR, loadCampaignFile } from './index.ts';
import { precompiledValidatorsSource } from './precompile.ts';
import { dslValidatorRefs } from './schema.ts';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const INVALID = join(ROOT, 'dsl/fixtures/invalid/');

/** Every shipped pulse and every invalid fixture: what the diagnostics must agree on. */
async function corpus(): Promise<string[]> {
  const pulses = (await readdir(DEFAULT_CAMPAIGNS_DIR)).filter((f) => f.endsWith('.pulse.yaml'));
  const invalid = (await readdir(INVALID)).filter((f) => f.endsWith('.pulse.yaml'));
  return [...pulses.map((f) => join(DEFAULT_CAMPAIGNS_DIR, f)), ...invalid.map((f) => INVALID + f)];
}

/** The diagnostics of each file, as `pulse validate` reports them (code, position, message, expected). */
const DIAGNOSE = `
export function diagnose(files, load, templates) {
  return files.map((file) => load(file, { campaignsDir: file.slice(0, file.lastIndexOf('/') + 1), templates })
    .diagnostics.map((d) => [d.code, d.line, d.column, String(d.path), d.message, d.expected ?? null].join(' | ')));
}`;

const DECLARED = `pulse: test
id: declared-events
version: 1
title: Declared events
trigger: { event: custom_webinar_attended }
events:
  custom_webinar_attended:
    description: A participant attended a webinar
    properties:
      type: object
      properties:
        webinar_id: { type: string, maxLength: 40 }
        minutes: { type: integer, minimum: 0 }
      required: [webinar_id]
steps:
  - id: done
    end: completed
`;

describe('precompiled validators (the portal runs them: its CSP allows no eval)', () => {
  it('cover every reference dsl/ asks for, each an ordinary validate function', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-precompiled-'));
    try {
      const file = join(dir, 'validators.mjs');
      await writeFile(
        file,
        precompiledValidatorsSource({ specifier: (s) => pathToFileURL(require.resolve(s)).href }),
      );
      const { validators } = (await import(pathToFileURL(file).href)) as {
        validators: Record<string, ((d: unknown) => boolean) & { errors?: unknown[] | null }>;
      };
      const refs = dslValidatorRefs();
      assert.deepEqual(Object.keys(validators).sort(), [...refs].sort());
      const template = validators['activities.schema.json#/$defs/SendNotificationInput/properties/template'];
      assert.ok(template, 'SendNotification takes a template');
      assert.equal(template(42), false);
      assert.equal((template.errors as { keyword: string }[] | null)?.[0]?.keyword, 'type');
      assert.equal(template('welcome'), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('give the very diagnostics of the run-time registry on every pulse and invalid fixture, without eval', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-precompiled-'));
    // A valid declared event schema too: the check that compiles it must not eval either.
    const declared = join(dir, 'declared-events.pulse.yaml');
    await writeFile(declared, DECLARED);
    const files = [...(await corpus()), declared];
    const templates = { catalog: loadTemplateDir(`${DEFAULT_CAMPAIGNS_DIR}templates`) };
    const expected = files.map((file) =>
      loadCampaignFile(file, {
        campaignsDir: file.slice(0, file.lastIndexOf('/') + 1),
        templates,
      }).diagnostics.map((d) =>
        [d.code, d.line, d.column, String(d.path), d.message, d.expected ?? null].join(' | '),
      ),
    );
    assert.ok(
      expected.some((d) => d.some((x) => x.startsWith('SCHEMA_'))) || expected.flat().length > 20,
      'the corpus exercises the schema checks',
    );

    assert.deepEqual(expected.at(-1), [], 'the declared-events campaign is valid');

    // Another process: the precompiled validators installed first, and eval made to throw, so any
    // schema compiled at run time fails the run instead of passing unseen.
    try {
      await writeFile(
        join(dir, 'validators.mjs'),
        precompiledValidatorsSource({ specifier: (s) => pathToFileURL(require.resolve(s)).href }),
      );
      const url = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);
      await writeFile(
        join(dir, 'run.mts'),
        `${DIAGNOSE}
import { validators } from ${JSON.stringify(pathToFileURL(join(dir, 'validators.mjs')).href)};
import { installPrecompiledValidators } from ${url('contract/validation.ts')};
import { loadTemplateDir } from ${url('contract/template-files.ts')};
import { DEFAULT_CAMPAIGNS_DIR, loadCampaignFile } from ${url('dsl/index.ts')};
installPrecompiledValidators(validators);
const templates = { catalog: loadTemplateDir(DEFAULT_CAMPAIGNS_DIR + 'templates') };
globalThis.Function = function () { throw new EvalError('eval refused'); };
globalThis.eval = () => { throw new EvalError('eval refused'); };
process.stdout.write(JSON.stringify(diagnose(JSON.parse(process.argv[2]), loadCampaignFile, templates)));
`,
      );
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(dir, 'run.mts'), JSON.stringify(files)],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      );
      const got = JSON.parse(stdout) as string[][];
      assert.equal(got.length, files.length);
      files.forEach((file, i) => {
        assert.deepEqual(got[i], expected[i], file);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
