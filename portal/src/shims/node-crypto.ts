/** `node:crypto` for the browser bundle: the plan hash (dsl/compile.ts) is SHA-256, from @noble/hashes. */
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

export function createHash(algorithm: string) {
  if (algorithm !== 'sha256') throw new Error(`the portal bundles no ${algorithm}`);
  const h = sha256.create();
  const api = {
    update(data: string) {
      h.update(utf8ToBytes(data));
      return api;
    },
    digest(encoding: 'hex') {
      if (encoding !== 'hex') throw new Error(`the portal bundles no ${encoding} digest`);
      return bytesToHex(h.digest());
    },
  };
  return api;
}
export default { createHash };
