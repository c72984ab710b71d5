import { type ReactNode, useState } from 'react';
import type { FraudReview, RewardView } from '../../../contract/generated/api.generated.ts';
import type { ApiProblem } from '../lib/api.ts';
import { asProblem, Dialog, StatusBadge } from '../lib/ui.tsx';

export type Reward = RewardView;
export type Review = FraudReview;

export const amount = (r: { amount: number | null; currency: string | null; label: string }) =>
  r.amount === null ? r.label : `${r.amount.toLocaleString()} ${r.currency ?? ''}`;

/** The fraud score with its decision and every rule that fired: its weight, severity, signal and detail. */
export function ReviewCell({ review, open }: { review: Review; open?: boolean }) {
  return (
    <details className="review" open={open}>
      <summary>
        <span className={`score score-${review.score >= 80 ? 'high' : review.score >= 30 ? 'mid' : 'low'}`}>
          score {review.score}
        </span>{' '}
        <StatusBadge status={review.decision} />
      </summary>
      <ul className="reasons">
        {review.reasons.map((r) => (
          <li key={`${r.rule}:${r.signal}`} data-rule={r.rule}>
            <strong>{r.rule}</strong> <span className="weight">+{r.weight}</span>{' '}
            <span className={`sev sev-${r.severity}`}>{r.severity}</span>{' '}
            <span className="muted">{r.signal}</span>
            {r.detail ? <div className="muted">{r.detail}</div> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

export interface Outcome {
  id: string;
  ok: boolean;
  problem?: ApiProblem;
}

/** Runs one decision per id in turn (each its own request, so one refusal leaves the others decided). */
export async function decideEach(ids: string[], one: (id: string) => Promise<unknown>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const id of ids) {
    try {
      await one(id);
      out.push({ id, ok: true });
    } catch (e) {
      out.push({ id, ok: false, problem: asProblem(e) });
    }
  }
  return out;
}

/** What the last (bulk) decision did: how many went through, and why the others did not. */
export function Outcomes({ results }: { results: Outcome[] }) {
  if (!results.length) return null;
  const failed = results.filter((r) => !r.ok);
  return (
    <div className={`state${failed.length ? ' error' : ''}`} role="status">
      {results.length - failed.length} decided
      {failed.length
        ? `, ${failed.length} failed: ${failed.map((r) => `${r.id} (${r.problem?.message})`).join('; ')}`
        : ''}
    </div>
  );
}

/** A decision with a reason: required to reject, optional to approve; bulk or single alike. */
export function ReasonDialog({
  title,
  open,
  required,
  busy,
  confirmLabel,
  danger,
  onCancel,
  onConfirm,
  children,
}: {
  title: string;
  open: boolean;
  required: boolean;
  busy: boolean;
  confirmLabel: string;
  danger?: boolean;
  onCancel(): void;
  onConfirm(reason: string): void;
  children?: ReactNode;
}) {
  const [reason, setReason] = useState('');
  return (
    <Dialog open={open} title={title} onClose={onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm(reason.trim());
          setReason('');
        }}
      >
        <label htmlFor="decision-reason">
          Reason{required ? '' : ' (optional)'}, kept in the decision record
        </label>
        <input
          id="decision-reason"
          required={required}
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        {children}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
