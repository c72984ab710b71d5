/** Entry of the worker's workflow bundle: the one generic workflow, and the anniversary keeper. */
export { runAnniversaries } from './anniversaries.ts';
export { runCampaign } from './workflow.ts';
