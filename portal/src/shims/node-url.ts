/**
 * `node:url` for the browser bundle: contract/template-render.ts names the shipped templates' folder
 * with it at load. The portal never reads that folder (it renders from the bundled catalog), so the
 * path only has to be a string.
 */
export const fileURLToPath = (url: URL | string): string => (typeof url === 'string' ? url : url.pathname);
export default { fileURLToPath };
