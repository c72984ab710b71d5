/** Workflow bundle of the engine benchmark: the interpreter and the hand-written baseline, one worker. */
export { runCampaign } from '../engine/workflow.ts';
export { handWrittenConversion } from './hand-written-conversion-workflow.ts';
