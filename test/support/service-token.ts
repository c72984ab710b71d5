import { signServiceToken } from '../../contract/service-token.ts';

/** A valid service token for `audience`, as a worker would present it (tests of internal routes). */
export function serviceToken(key: string, audience: string, ttlS = 60): string {
  const now = Math.floor(Date.now() / 1000);
  return signServiceToken(key, { iss: 'test', aud: audience, iat: now, exp: now + ttlS });
}
