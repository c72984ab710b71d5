import { lazy, type ReactNode, Suspense } from 'react';
import { rawJson } from './lib/api.ts';
import { Link, match, useLocation } from './lib/router.tsx';
import { currentClient, isPlatformAdmin, useSession } from './lib/session.tsx';
import { Loading } from './lib/ui.tsx';
import { AdminPage } from './pages/admin.tsx';
import { CampaignPage, CampaignsPage } from './pages/campaigns.tsx';
import { JourneyPage, JourneysPage } from './pages/journeys.tsx';
import { ApprovalsPage, RewardPage, RewardsPage } from './pages/rewards.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/sign-in.tsx';

// The heavy parts load only on the pages that use them: the editor (CodeMirror, dsl/, ajv, Mermaid)
// and the dashboards (ECharts).
const EditorPage = lazy(() => import('./editor/editor-page.tsx'));
const DashboardPage = lazy(() => import('./charts/dashboard-page.tsx'));

interface Route {
  pattern: string;
  render(p: Record<string, string>): ReactNode;
}

const CLIENT_ROUTES: Route[] = [
  { pattern: '/', render: () => <CampaignsPage /> },
  { pattern: '/campaigns', render: () => <CampaignsPage /> },
  { pattern: '/campaigns/new', render: () => <EditorPage /> },
  { pattern: '/campaigns/:id', render: (p) => <CampaignPage id={p.id ?? ''} /> },
  { pattern: '/campaigns/:id/edit', render: (p) => <EditorPage campaignId={p.id ?? ''} /> },
  { pattern: '/journeys', render: () => <JourneysPage /> },
  {
    pattern: '/journeys/:campaign/:key',
    render: (p) => <JourneyPage campaign={p.campaign ?? ''} journeyKey={p.key ?? ''} />,
  },
  { pattern: '/approvals', render: () => <ApprovalsPage /> },
  { pattern: '/rewards', render: () => <RewardsPage /> },
  { pattern: '/rewards/:id', render: (p) => <RewardPage id={p.id ?? ''} /> },
  { pattern: '/dashboard', render: () => <DashboardPage /> },
  { pattern: '/settings', render: () => <SettingsPage /> },
  { pattern: '/settings/:tab', render: (p) => <SettingsPage tab={p.tab ?? ''} /> },
];

const NAV = [
  ['/campaigns', 'Campaigns'],
  ['/journeys', 'Journeys'],
  ['/approvals', 'Approvals'],
  ['/rewards', 'Rewards'],
  ['/dashboard', 'Dashboard'],
  ['/settings', 'Settings'],
] as const;

export function App() {
  const { who, checking, signOut } = useSession();
  const { path } = useLocation();
  if (checking) return <Loading what="your session" />;
  if (!who) return <SignInPage />;
  const admin = path === '/admin' || path.startsWith('/admin/');
  const client = currentClient(who);
  const nav = admin ? ([['/admin', 'Clients & health']] as const) : NAV;
  let page: ReactNode = null;
  if (admin) page = isPlatformAdmin(who) ? <AdminPage /> : <Forbidden />;
  else if (!client)
    page = (
      <div className="state">
        <p>This sign-in acts for no client. Open the platform admin.</p>
        <Link href="/admin">Platform admin</Link>
      </div>
    );
  else
    for (const r of CLIENT_ROUTES) {
      const params = match(r.pattern, path);
      if (params) {
        page = r.render(params);
        break;
      }
    }
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href={admin ? '/admin' : '/'} className="brand">
          Pulse <span>{admin ? 'admin' : 'portal'}</span>
        </Link>
        <span className="who">
          {who.via === 'session' ? who.session.user.email : 'API key'}
          {client ? ` · ${client.name}` : ''}
        </span>
        {who.via === 'session' && who.session.memberships.length > 1 ? <ClientSwitcher /> : null}
        {isPlatformAdmin(who) ? (
          <Link href={admin ? '/' : '/admin'} className="switch">
            {admin ? 'Client portal' : 'Platform admin'}
          </Link>
        ) : null}
        <button type="button" className="ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {nav.map(([href, label]) => (
            <li key={href}>
              <Link
                href={href}
                aria-current={path === href || path.startsWith(`${href}/`) ? 'page' : undefined}
              >
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>{page ?? <NotFound />}</Suspense>
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <div className="state">
      <h1>Page not found</h1>
      <Link href="/">Back to campaigns</Link>
    </div>
  );
}

function Forbidden() {
  return (
    <div className="state error" role="alert">
      <h1>Platform admins only</h1>
      <p>Your sign-in is not a platform admin.</p>
    </div>
  );
}

/** A member of several clients picks the one the session acts for. */
function ClientSwitcher() {
  const { who, refresh } = useSession();
  if (who?.via !== 'session') return null;
  const { session } = who;
  return (
    <label className="switcher">
      <span className="sr-only">Client</span>
      <select
        value={session.client?.id ?? ''}
        onChange={async (e) => {
          await rawJson('/v1/auth/switch-client', {
            method: 'POST',
            body: JSON.stringify({ client_id: e.target.value }),
          });
          await refresh();
        }}
      >
        {session.memberships.map((m) => (
          <option key={m.client_id} value={m.client_id}>
            {m.client_name} ({m.role})
          </option>
        ))}
      </select>
    </label>
  );
}
