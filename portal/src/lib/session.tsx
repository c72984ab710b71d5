import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { type ApiProblem, api, currentApiKey, must, rawJson, setApiKey, setCsrfToken } from './api.ts';

/** `GET /v1/auth/session`, as the platform's session contract defines it. */
export interface SessionBody {
  user: { id: string; email: string; name: string | null };
  client: { id: string; name: string } | null;
  role: string;
  platform_admin: boolean;
  permissions: string[];
  csrf_token: string;
  memberships: { client_id: string; client_name: string; role: string }[];
}

/** Who is signed in: a member's session (cookie), or an API key pasted by a developer. */
export type Who =
  | { via: 'session'; session: SessionBody }
  | { via: 'key'; admin: boolean; client: { id: string; name: string } | null };

interface SessionState {
  who: Who | null;
  checking: boolean;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const Ctx = createContext<SessionState | null>(null);

async function resolveWho(): Promise<Who | null> {
  if (currentApiKey()) {
    const key = currentApiKey() ?? '';
    if (key.startsWith('ak_')) return { via: 'key', admin: true, client: null };
    try {
      const { client } = await must(api().GET('/v1/client'));
      return { via: 'key', admin: false, client: { id: client.id, name: client.name } };
    } catch {
      setApiKey(null);
      return null;
    }
  }
  try {
    const session = await rawJson<SessionBody>('/v1/auth/session');
    setCsrfToken(session.csrf_token);
    return { via: 'session', session };
  } catch (e) {
    if ((e as ApiProblem).status !== 401 && (e as ApiProblem).status !== 404) throw e;
    setCsrfToken(null);
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [who, setWho] = useState<Who | null>(null);
  const [checking, setChecking] = useState(true);
  const refresh = useCallback(async () => {
    setChecking(true);
    try {
      setWho(await resolveWho());
    } catch {
      setWho(null);
    } finally {
      setChecking(false);
    }
  }, []);
  const signOut = useCallback(async () => {
    if (who?.via === 'session') await rawJson('/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    setApiKey(null);
    setCsrfToken(null);
    setWho(null);
  }, [who]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <Ctx.Provider value={{ who, checking, refresh, signOut }}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in client's id and name (null for a platform admin without a client). */
export function currentClient(who: Who | null) {
  if (!who) return null;
  return who.via === 'session' ? who.session.client : who.client;
}

export const isPlatformAdmin = (who: Who | null) =>
  who ? (who.via === 'session' ? who.session.platform_admin : who.admin) : false;
