// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary stored JSON
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderEmbedSnippet } from './snippet.ts';

test('the snippet queues calls made before the SDK loads and loads it async', () => {
  const html = renderEmbedSnippet({
    publishableKey: 'pk_abc',
    campaignId: 'camp_1',
    endpoint: 'https://events.example.com',
    sdkUrl: 'https://cdn.example.com/pulse.iife.js',
  });
  assert.match(html, /^<script>/);
  assert.match(html, /s\.async=1/);
  assert.match(html, /"key":"pk_abc"/);
  assert.match(html, /"campaign":"camp_1"/);
  // Run the stub the way a browser would (without loading the file) and check it records calls.
  const body = html.replace(/^<script>|<\/script>$/g, '');
  const appended: { src: string }[] = [];
  const win: Record<string, any> = {};
  const doc = { createElement: () => ({}), head: { appendChild: (s: { src: string }) => appended.push(s) } };
  new Function('window', 'document', body)(win, doc);
  win.Pulse.track('user_signed_up', { method: 'email' });
  assert.deepEqual(
    win.Pulse._q.map((c: [string]) => c[0]),
    ['init', 'track'],
  );
  assert.equal(appended[0]?.src, 'https://cdn.example.com/pulse.iife.js');
});

test('values cannot break out of the script tag; secret keys are refused', () => {
  const html = renderEmbedSnippet({
    publishableKey: 'pk_x',
    endpoint: 'https://e.example.com/</script><script>alert(1)</script>',
    sdkUrl: 'https://cdn.example.com/p.js',
  });
  assert.equal(html.match(/<\/script>/g)?.length, 1);
  assert.throws(() => renderEmbedSnippet({ publishableKey: 'sk_x', endpoint: 'e', sdkUrl: 'u' }));
});
