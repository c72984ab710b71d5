import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSource } from './parse.ts';

const source = `pulse: test
steps:
  - id: first
    do: SendNotification
    with:
      data: { link: { var: assets.link } }
  - id: second
    end: completed
`;

describe('parseSource', () => {
  it('returns the data and maps JSON paths to line:column', () => {
    const parsed = parseSource(source, 'x.yaml');
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal((parsed.data as { pulse: string }).pulse, 'test');
    assert.deepEqual(parsed.locate(['steps', 0, 'do']), { line: 4, column: 9 });
    assert.deepEqual(parsed.locate(['steps', 0, 'with', 'data', 'link', 'var']), { line: 6, column: 28 });
    assert.deepEqual(parsed.locate(['steps', 1]), { line: 7, column: 5 });
    assert.deepEqual(parsed.locate(['steps', 1, 'end'], { key: true }), { line: 8, column: 5 });
  });

  it('falls back to the nearest existing ancestor for paths that do not exist', () => {
    const parsed = parseSource(source, 'x.yaml');
    assert.deepEqual(parsed.locate(['steps', 0, 'with', 'missing', 'deeper']), { line: 6, column: 7 });
    assert.deepEqual(parsed.locate(['steps', 9]), { line: 3, column: 3 });
    assert.deepEqual(parsed.locate([]), { line: 1, column: 1 });
  });

  it('reports YAML syntax errors with their line and column', () => {
    const parsed = parseSource('pulse: test\ntitle: "unterminated\nid: x\n', 'bad.yaml');
    assert.equal(parsed.data, undefined);
    assert.equal(parsed.diagnostics.length, 1);
    const [d] = parsed.diagnostics;
    assert.equal(d?.code, 'YAML_SYNTAX');
    assert.equal(d?.file, 'bad.yaml');
    assert.deepEqual([d?.line, d?.column], [4, 1]);
    assert.match(d?.message ?? '', /quote/);
  });

  it('reports an unclosed flow mapping where the block resumes', () => {
    const parsed = parseSource('pulse: test\ntrigger: { event: user_signed_up\nid: x\n', 'bad.yaml');
    assert.deepEqual(
      parsed.diagnostics.map((d) => [d.code, d.line, d.column]),
      [['YAML_SYNTAX', 3, 1]],
    );
  });

  it('reports one syntax error as one diagnostic, not the cascade the parser sees after it', () => {
    // The unclosed flow map on line 2 throws the parser off for every later line (yaml reports four
    // errors); only the first is a real mistake.
    const text =
      'pulse: test\ntrigger: { event: user_signed_up\nsteps:\n  - id: a\n    end: completed\n   - id: b\n  bad: [1, 2\n';
    const parsed = parseSource(text, 'cascade.yaml');
    assert.deepEqual(
      parsed.diagnostics.map((d) => [d.code, d.line, d.column]),
      [['YAML_SYNTAX', 3, 1]],
    );
    assert.match(parsed.diagnostics[0]?.message ?? '', /3 more problem\(s\) after it/);
  });

  it('refuses aliases that contain themselves', () => {
    const parsed = parseSource('a: &x [1, *x]\n', 'loop.yaml');
    assert.equal(parsed.data, undefined);
    assert.equal(parsed.diagnostics[0]?.code, 'YAML_SYNTAX');
  });
});
