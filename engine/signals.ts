import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JourneyEvent } from '../contract/plan.ts';
import type { JourneyStatus, TraceRecord } from './interpreter/types.ts';

/** The one signal a journey receives: a bus event (the trigger included, deduplicated by `event_id`). */
export const eventSignal = defineSignal<[JourneyEvent]>('event');

/** Where a journey is: running, waiting for which events, sleeping, or finished with which outcome. */
export const statusQuery = defineQuery<JourneyStatus>('status');

/** The bounded list of what the interpreter did (steps entered and left, waits, timers, activities). */
export const traceQuery = defineQuery<TraceRecord[]>('trace');

/** Workflow type name registered by the worker; the router and `call` steps start journeys by it. */
export const RUN_CAMPAIGN = 'runCampaign';
