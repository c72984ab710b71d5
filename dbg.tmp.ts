import { readdirSync } from 'node:fs';
import { loadTemplateDir } from './contract/template-files.ts';
import { DEFAULT_CAMPAIGNS_DIR, formatDiagnostics, loadCampaignFile } from './dsl/index.ts';
const catalog = loadTemplateDir(`${DEFAULT_CAMPAIGNS_DIR}templates`);
for (const f of readdirSync(DEFAULT_CAMPAIGNS_DIR).filter((f) => f.endsWith('.pulse.yaml'))) {
  const r = loadCampaignFile(DEFAULT_CAMPAIGNS_DIR + f, { templates: { catalog } });
  console.log(f, r.plan ? 'ok' : 'FAIL', formatDiagnostics(r.diagnostics));
}
