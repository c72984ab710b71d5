import { ApplicationFailure } from '@temporalio/common';
import { isAppError } from '../contract/errors.ts';

/**
 * Runs an activity body and turns an AppError into an ApplicationFailure whose `type` is the stable error
 * code: the workflow and its retry policy see `BUDGET_EXHAUSTED`, not a message. Non-retryable codes stop
 * Temporal retrying at once.
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (isAppError(err)) {
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: !err.retryable,
        details: err.details.length ? [err.details] : [],
      });
    }
    throw err;
  }
}
