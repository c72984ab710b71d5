import { AppError } from '../../../contract/errors.ts';
import type { RewardDb } from '../tables.ts';
import { type AllocateParams, type AllocateResult, allocateBatch } from './repo.ts';

/**
 * Application-level group commit for allocations. Requests that arrive while earlier ones are in flight
 * are sent together as one batch (one statement, one transaction, one commit). Two batches never touch the
 * same campaign at once — a campaign with a batch in flight keeps its new requests queued for the next —
 * so a hot campaign's budget row is locked once per batch instead of once per reward, while allocations
 * for different campaigns still run in parallel. A lone request goes out at once (a batch of one).
 */
export interface Allocator {
  allocate(p: AllocateParams): Promise<AllocateResult>;
}

interface Pending {
  params: AllocateParams;
  resolve(r: AllocateResult): void;
  reject(e: unknown): void;
}

export function createAllocator(
  db: RewardDb,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): Allocator {
  const maxBatch = opts.maxBatch ?? 64;
  const maxInFlight = opts.maxInFlight ?? 2;
  const queue: Pending[] = [];
  const busy = new Set<string>();
  let inFlight = 0;
  let scheduled = false;
  const keyOf = (p: AllocateParams) => `${p.clientId}\u0000${p.campaignId}`;

  const run = async (batch: Pending[]): Promise<void> => {
    try {
      const results = await allocateBatch(
        db,
        batch.map((b) => b.params),
      );
      for (const [i, b] of batch.entries()) b.resolve(results[i] as AllocateResult);
    } catch (err) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(err);
        return;
      }
      // Isolate the item that broke the batch: each one alone, so only that one fails. One after the
      // other, in arrival order: members often share a campaign (its budget row), and a capped budget
      // goes to requests in the order they came, as it would have in the batch.
      for (const b of batch) {
        try {
          b.resolve(((await allocateBatch(db, [b.params])) as AllocateResult[])[0] as AllocateResult);
        } catch (e) {
          b.reject(e);
        }
      }
    }
  };

  const pump = (): void => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch: Pending[] = [];
      const keys = new Set<string>();
      for (let i = 0; i < queue.length && batch.length < maxBatch; ) {
        const k = keyOf((queue[i] as Pending).params);
        if (busy.has(k)) {
          i++;
          continue;
        }
        keys.add(k);
        batch.push(queue.splice(i, 1)[0] as Pending);
      }
      if (batch.length === 0) return;
      for (const k of keys) busy.add(k);
      inFlight++;
      void run(batch).finally(() => {
        for (const k of keys) busy.delete(k);
        inFlight--;
        schedule();
      });
    }
  };

  // After a batch, let the callers just answered queue their next requests first, so they join the next
  // batch together instead of the first of them leaving alone and the rest waiting behind it.
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  };

  return {
    allocate(params) {
      if (!params.path.length)
        return Promise.reject(new AppError('INTERNAL', 'allocation without a state path'));
      return new Promise<AllocateResult>((resolve, reject) => {
        queue.push({ params, resolve, reject });
        // A lone request leaves at once; otherwise it waits for the next batch.
        if (inFlight === 0 && !scheduled) pump();
        else schedule();
      });
    },
  };
}
