import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Debian's Chromium, headless (never a downloaded browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the page as it is now: the serious and critical violations (moderate/minor are not failures). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: await AXE_SOURCE });
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })),
    }));
}

/** Requests of a page in flight, by request; the live counters' stream stays open for good. */
const open = new WeakMap<Page, Set<Request>>();
const isStream = (r: Request) => (r.headers().accept ?? '').includes('text/event-stream');

/**
 * Waits until the page has had no request in flight for `quietMs`, leaving out server-sent-event
 * streams (Playwright's `networkidle` never comes while one is open). Tracking starts with the first call
 * for a page, so call it once right after the page is created (`watchRequests`).
 */
export function watchRequests(page: Page): void {
  if (open.has(page)) return;
  const inFlight = new Set<Request>();
  open.set(page, inFlight);
  page.on('request', (r) => {
    if (!isStream(r)) inFlight.add(r);
  });
  const done = (r: Request) => inFlight.delete(r);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
}

export async function settled(page: Page, { quietMs = 500, timeoutMs = 30_000 } = {}): Promise<void> {
  const inFlight = open.get(page);
  if (!inFlight) throw new Error('settled(page) needs watchRequests(page) first');
  await page.waitForLoadState('load');
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  for (;;) {
    if (inFlight.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    if (Date.now() > deadline)
      throw new Error(
        `requests still open: ${[...inFlight].map((r) => `${r.method()} ${r.url()}`).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
