import { createPulse } from './pulse.ts';

/** ESM entry: `import { Pulse } from '.../pulse.esm.js'; Pulse.init({ key, endpoint })`. */
export const Pulse = createPulse(import.meta.url);
export default Pulse;
export type { Consent, PulseConfig, WidgetOptions } from './pulse.ts';
