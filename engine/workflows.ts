/** Entry of the worker's workflow bundle: the one generic workflow, nothing else. */
export { runCampaign } from './workflow.ts';
