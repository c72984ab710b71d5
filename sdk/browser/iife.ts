import { createPulse } from './pulse.ts';

type Stub = { _q?: [string, unknown[]][] };

// Script-tag entry: replaces the snippet's queue stub with the SDK and replays the calls made before
// the file arrived (init first, as the snippet queued it).
const w = window as unknown as { Pulse?: Stub & Record<string, unknown> };
const script = document.currentScript as HTMLScriptElement | null;
const pulse = createPulse(script?.src || location.href);
const queued = w.Pulse?._q ?? [];
w.Pulse = pulse as unknown as Stub & Record<string, unknown>;
for (const [method, args] of queued) {
  const fn = (pulse as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  if (typeof fn === 'function') fn(...args);
}
