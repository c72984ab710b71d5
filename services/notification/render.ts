/**
 * Rendering lives in contract/template-render.ts (the simulator renders the same templates); the
 * notification service uses it through this module.
 */
export * from '../../contract/template-render.ts';
