import { Hono } from 'hono';
import { setAudit } from '../../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { idParam } from '../../platform/params.ts';
import { requestIdOf } from '../../platform/request-id.ts';
import { type DsrDeps, eraseParticipant, exportParticipant, logRequest } from './dsr.ts';

/**
 * `POST /v1/participants/:id/export` (a zip of everything held about the participant) and
 * `POST /v1/participants/:id/erase` (delete or pseudonymise it everywhere), both `dsr.manage`.
 */
export function createDsrRoutes(resolver: ApiKeyResolver, deps: DsrDeps) {
  // Per route, not `use('*')`: other services mount their own /v1/participants/… routes beside these.
  const dsr = authenticate(resolver, { permission: 'dsr.manage' });
  return new Hono<{ Variables: AuthVariables }>()
    .post('/:id/export', dsr, async (c) => {
      const principal = c.get('principal');
      const participantId = idParam(c.req.param('id'), 'id');
      const { archive, manifest } = await exportParticipant(deps, principal.clientId, participantId);
      const id = await logRequest(deps.db, deps.hashSecret, {
        clientId: principal.clientId,
        kind: 'export',
        participantId,
        summary: manifest,
        requestedBy: principal.keyId,
        requestId: requestIdOf(c),
      });
      setAudit(c, { action: 'dsr.exported', target: { dsr_request: id } });
      c.header('content-type', 'application/zip');
      c.header('content-disposition', `attachment; filename="participant-export-${id}.zip"`);
      c.header('x-pulse-dsr-request', id);
      return c.body(archive as Uint8Array<ArrayBuffer>);
    })
    .post('/:id/erase', dsr, async (c) => {
      const principal = c.get('principal');
      const participantId = idParam(c.req.param('id'), 'id');
      const summary = await eraseParticipant(deps, principal.clientId, participantId);
      const id = await logRequest(deps.db, deps.hashSecret, {
        clientId: principal.clientId,
        kind: 'erase',
        participantId,
        summary,
        requestedBy: principal.keyId,
        requestId: requestIdOf(c),
      });
      setAudit(c, { action: 'dsr.erased', target: { dsr_request: id } });
      return c.json({ request: { id, kind: 'erase', status: 'completed', ...summary } });
    });
}
