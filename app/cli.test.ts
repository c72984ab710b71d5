import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main, parseArgs, parseSettings } from './cli.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const bin = `${repo}bin/pulse.mjs`;
const campaigns = [
  'signup',
  'conversion',
  'reactivation',
  'cross-sell',
  'renewal',
  'feedback',
  'product-education',
  'switchup',
  'newsletter',
].map((n) => `campaigns/${n}.pulse.yaml`);
const broken = 'dsl/fixtures/invalid/several-errors.pulse.yaml';

/** Runs bin/pulse.mjs from the repo root, as a user would. */
function pulse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (t: string) => out.push(t), e: (t: string) => err.push(t) };
}

describe('pulse CLI (spawned)', () => {
  it('validate passes on all nine campaigns, fails with every error of a broken file, exits 2 on misuse', async () => {
    const [good, bad, misuse] = await Promise.all([
      pulse(['validate', ...campaigns]),
      pulse(['validate', campaigns[0]!, broken]),
      pulse([]),
    ]);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout.trim().split('\n').length, 9);
    assert.match(good.stdout, /^ok campaigns\/signup\.pulse\.yaml \(signup v1, hash [0-9a-f]{12}\)$/m);

    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^ok campaigns\/signup\.pulse\.yaml/m);
    const errors = bad.stderr.split('\n').filter((l) => l.includes(' error '));
    assert.equal(errors.length, 9, bad.stderr);
    for (const line of errors)
      assert.match(line, /^dsl\/fixtures\/invalid\/several-errors\.pulse\.yaml:\d+:\d+ error [A-Z_]+ /);
    assert.match(bad.stderr, /:19:9 error UNKNOWN_ACTIVITY steps\[0\]\.do: .*found "SendEmal"/);
    assert.match(bad.stderr, /1 of 2 file\(s\) failed validation/);

    assert.equal(misuse.code, 2);
    assert.match(misuse.stdout, /usage:/);
  });
});

describe('pulse CLI (in process)', () => {
  it('plan prints the compiled plan JSON and a Mermaid flowchart', async () => {
    const c = capture();
    assert.equal(
      await main(['plan', `${repo}campaigns/renewal.pulse.yaml`, '--settings', 'grace_period=5d'], c.o, c.e),
      0,
    );
    const plan = JSON.parse(c.out[0]!) as { pulse: string; settings: Record<string, unknown> };
    assert.equal(plan.pulse, 'renewal');
    assert.equal(plan.settings.grace_period, '5d');
    assert.match(c.out[2]!, /^flowchart TD/);
  });

  it('plan refuses settings out of bounds with a diagnostic', async () => {
    const c = capture();
    assert.equal(
      await main(['plan', `${repo}campaigns/conversion.pulse.yaml`, '--settings=window_days=999'], c.o, c.e),
      1,
    );
    assert.match(c.err.join('\n'), /error SETTING_OVERRIDE settings\.window_days/);
  });

  it('deploy POSTs the source, file name and settings with the API key, and prints the answer', async () => {
    const seen: { url?: string; auth?: string; body?: Record<string, unknown> } = {};
    const server = createServer(async (req: IncomingMessage, res) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      seen.body = JSON.parse(text) as Record<string, unknown>;
      const fail = (seen.body.settings as Record<string, unknown>).min_order === 99;
      res.writeHead(fail ? 422 : 201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          fail ? { error: { code: 'VALIDATION_FAILED' } } : { campaign_id: 'cmp_1', version: 3 },
        ),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const file = `${repo}campaigns/conversion.pulse.yaml`;
      const ok = capture();
      const code = await main(
        [
          'deploy',
          file,
          '--url',
          url,
          '--key',
          'sk_test',
          '--settings',
          'min_order=75',
          'milestones_enabled=false',
        ],
        ok.o,
        ok.e,
      );
      assert.equal(code, 0, ok.err.join('\n'));
      assert.equal(seen.url, '/v1/campaigns/deploy');
      assert.equal(seen.auth, 'Bearer sk_test');
      assert.deepEqual(seen.body, {
        source: readFileSync(file, 'utf8'),
        file: 'conversion.pulse.yaml',
        settings: { min_order: 75, milestones_enabled: false },
      });
      assert.match(ok.out.join('\n'), /campaign_id cmp_1, version 3/);

      const rejected = capture();
      assert.equal(
        await main(
          ['deploy', file, '--url', url, '--key', 'sk_test', '--settings', 'min_order=99'],
          rejected.o,
          rejected.e,
        ),
        1,
      );
      assert.match(rejected.err.join('\n'), /HTTP 422[\s\S]*VALIDATION_FAILED/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('deploy without a key, and simulate without a script, are usage errors', async () => {
    const saved = process.env.PULSE_API_KEY;
    delete process.env.PULSE_API_KEY;
    try {
      const c = capture();
      assert.equal(await main(['deploy', `${repo}campaigns/signup.pulse.yaml`], c.o, c.e), 2);
      assert.match(c.err.join('\n'), /API key/);
    } finally {
      if (saved !== undefined) process.env.PULSE_API_KEY = saved;
    }
    const s = capture();
    assert.equal(await main(['simulate', `${repo}campaigns/signup.pulse.yaml`], s.o, s.e), 2);
    assert.match(s.err.join('\n'), /--events/);
  });

  it('parses flags and settings', () => {
    const args = parseArgs([
      'plan',
      'a.yaml',
      '--settings',
      'a=1',
      'b=x',
      '--url=http://h',
      '--key',
      'k',
      'extra',
    ]);
    assert.deepEqual(args.positional, ['plan', 'a.yaml', 'extra']);
    assert.deepEqual(args.flags.get('settings'), ['a=1', 'b=x']);
    assert.deepEqual(args.flags.get('url'), ['http://h']);
    assert.deepEqual(parseSettings(['n=1.5', 'b=true', 's=hello', 'd=14d', 'j={"a":1}']), {
      n: 1.5,
      b: true,
      s: 'hello',
      d: '14d',
      j: { a: 1 },
    });
    assert.throws(() => parseSettings(['novalue']));
  });
});
