import { type FormEvent, useState } from 'react';
import { type ApiProblem, rawJson, setApiKey } from '../lib/api.ts';
import { useSession } from '../lib/session.tsx';
import { asProblem, Problem, useAsync } from '../lib/ui.tsx';

interface AuthConfig {
  dev_login: boolean;
  oidc: { enabled: boolean; issuer?: string };
}

/** Sign-in: the organisation's identity provider (OIDC), the development login, or an API key. */
export function SignInPage() {
  const { refresh } = useSession();
  const config = useAsync(() => rawJson<AuthConfig>('/v1/auth/config'), []);
  const [email, setEmail] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const returnTo = location.pathname + location.search;

  const devLogin = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await rawJson('/v1/auth/dev-login', { method: 'POST', body: JSON.stringify({ email }) });
      await refresh();
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  const keyLogin = async (e: FormEvent) => {
    e.preventDefault();
    setApiKey(key.trim());
    await refresh();
    setProblem({ status: 401, code: 'UNAUTHORIZED', message: 'that key was not accepted' });
  };

  return (
    <main className="sign-in" id="main">
      <div className="card">
        <h1>
          Pulse <span className="muted">portal</span>
        </h1>
        <p className="muted">Referral and growth campaigns, from YAML to journeys.</p>
        {config.state === 'loading' ? <p role="status">Checking how to sign in…</p> : null}
        {config.state === 'ready' && config.data.oidc.enabled ? (
          <a
            className="button primary block"
            href={`/v1/auth/login?return_to=${encodeURIComponent(returnTo)}`}
          >
            Sign in with{' '}
            {config.data.oidc.issuer ? new URL(config.data.oidc.issuer).host : 'your identity provider'}
          </a>
        ) : null}
        {config.state === 'ready' && config.data.dev_login ? (
          <form onSubmit={devLogin} aria-label="Development sign-in">
            <label htmlFor="email">Email (development sign-in)</label>
            <input
              id="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <button type="submit" className="primary block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        ) : null}
        {config.state === 'error' ? (
          <p className="muted">Member sign-in is not available on this platform; use an API key.</p>
        ) : null}
        <details open={config.state === 'error'}>
          <summary>Sign in with an API key</summary>
          <form onSubmit={keyLogin} aria-label="API key sign-in">
            <label htmlFor="apikey">Secret or admin key</label>
            <input
              id="apikey"
              type="password"
              autoComplete="off"
              required
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
            <p className="hint">Kept for this tab only. Publishable keys cannot sign in.</p>
            <button type="submit" className="block">
              Use key
            </button>
          </form>
        </details>
        {problem ? <Problem problem={problem} /> : null}
      </div>
    </main>
  );
}
