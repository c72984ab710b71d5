import { Link } from '../lib/router.tsx';
import { PageHeader } from '../lib/ui.tsx';
import { AuditLog } from './settings/audit.tsx';
import { EventTypes, Snippet } from './settings/developer.tsx';
import { Keys } from './settings/keys.tsx';
import { Members } from './settings/members.tsx';
import { Templates } from './settings/templates.tsx';
import { Usage } from './settings/usage.tsx';
import { Webhooks } from './settings/webhooks.tsx';

const TABS = [
  ['members', 'Members'],
  ['keys', 'API keys'],
  ['usage', 'Usage'],
  ['audit', 'Audit log'],
  ['webhooks', 'Webhooks'],
  ['templates', 'Templates'],
  ['events', 'Custom events'],
  ['sdk', 'SDK snippet'],
] as const;

/** The client's settings, one tab each (each tab in its own file under settings/). */
export function SettingsPage({ tab = 'members' }: { tab?: string }) {
  return (
    <>
      <PageHeader title="Settings" />
      <nav aria-label="Settings" className="tabs">
        {TABS.map(([id, label]) => (
          <Link key={id} href={`/settings/${id}`} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'members' ? <Members /> : null}
      {tab === 'keys' ? <Keys /> : null}
      {tab === 'usage' ? <Usage /> : null}
      {tab === 'audit' ? <AuditLog /> : null}
      {tab === 'webhooks' ? <Webhooks /> : null}
      {tab === 'templates' ? <Templates /> : null}
      {tab === 'events' ? <EventTypes /> : null}
      {tab === 'sdk' ? <Snippet /> : null}
    </>
  );
}
