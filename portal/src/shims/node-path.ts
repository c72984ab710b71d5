/** `node:path` for the browser bundle: joining with slashes is all contract/template-files.ts needs. */
export const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
export const resolve = join;
export const dirname = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
export const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
export default { join, resolve, dirname, basename };
