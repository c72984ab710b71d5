import { useState } from 'react';
import type { ApprovalInbox, ApprovalInboxItem } from '../../../contract/generated/api.generated.ts';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { type Column, DataTable } from '../lib/data-table.tsx';
import { Link } from '../lib/router.tsx';
import { asProblem, Problem, Show, useAsync, when } from '../lib/ui.tsx';

/** The journey page of an inbox item (the journey that called a child, for a child's task). */
function journeyHref(item: ApprovalInboxItem): string {
  const path = `/journeys/${encodeURIComponent(item.campaign_id)}/${encodeURIComponent(item.journey_key)}`;
  return item.participant_id ? `${path}?participant=${encodeURIComponent(item.participant_id)}` : path;
}

const COLUMNS: Column<ApprovalInboxItem>[] = [
  { key: 'title', header: 'Task', cell: (i) => i.approval.title },
  { key: 'step', header: 'Step', cell: (i) => <code>{i.approval.task}</code> },
  { key: 'campaign', header: 'Campaign', cell: (i) => i.campaign_id, className: 'mono' },
  { key: 'participant', header: 'Participant', cell: (i) => i.participant_id ?? '—', className: 'mono' },
  {
    key: 'roles',
    header: 'Decided by',
    cell: (i) => `${i.approval.roles.join(' or ')}${i.approval.escalated ? ' (escalated)' : ''}`,
  },
  { key: 'opened', header: 'Open since', cell: (i) => when(i.approval.opened_at), className: 'nowrap' },
  { key: 'deadline', header: 'Until', cell: (i) => when(i.approval.deadline), className: 'nowrap' },
  {
    key: 'open',
    header: <span className="sr-only">Journey</span>,
    cell: (i) => <Link href={journeyHref(i)}>Open journey</Link>,
    className: 'nowrap',
  },
];

/**
 * Approval steps waiting on a person, across the client's running journeys (tasks of a call step's child
 * journey included, under the journey that called it). Each page asks up to 50 journeys; a page may
 * find no task and still have more, so further pages are read on request. Deciding happens on the
 * journey page, beside the journey's trace.
 */
export function JourneyTasks() {
  const first = useAsync(() => must(api().GET('/v1/approvals', { params: { query: { limit: 50 } } })), []);
  const [more, setMore] = useState<ApprovalInbox[]>([]);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  return (
    <Show value={first} what="the journeys’ approval tasks">
      {(page) => {
        const pages = [page, ...more];
        const last = pages[pages.length - 1] ?? page;
        const items = pages.flatMap((p) => p.data);
        const unanswered = pages.flatMap((p) => p.unanswered);
        const next = async () => {
          if (!last.next_cursor) return;
          setLoading(true);
          setProblem(null);
          try {
            const cursor = last.next_cursor;
            const got = await must(
              api().GET('/v1/approvals', { params: { query: { limit: 50, starting_after: cursor } } }),
            );
            setMore((m) => [...m, got]);
          } catch (e) {
            setProblem(asProblem(e));
          } finally {
            setLoading(false);
          }
        };
        return (
          <>
            <p className="hint">
              Approval steps of running journeys that wait for a decision. Open the journey to approve or
              reject with a reason.
            </p>
            <DataTable
              caption="Journey approval tasks waiting for a decision"
              columns={COLUMNS}
              rows={items}
              rowKey={(i) => `${i.workflow_id}|${i.approval.task}`}
              empty={
                last.has_more
                  ? 'No open task among the journeys read so far.'
                  : 'No journey waits for an approval.'
              }
              testId="journey-tasks"
            />
            {unanswered.length > 0 ? (
              <p className="state error" role="alert">
                {unanswered.length} running {unanswered.length === 1 ? 'journey' : 'journeys'} did not answer
                in time; their tasks are missing here. Try again in a moment.
              </p>
            ) : null}
            {last.has_more ? (
              <button type="button" onClick={next} disabled={loading}>
                {loading ? 'Reading more journeys…' : 'Read more journeys'}
              </button>
            ) : null}
            {problem ? <Problem problem={problem} /> : null}
          </>
        );
      }}
    </Show>
  );
}
