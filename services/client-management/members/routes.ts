import { Hono } from 'hono';
import type { MemberInviteBody, MemberRoleBody } from '../../../contract/generated/api.generated.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { readBody } from '../../platform/http.ts';
import { api } from '../../platform/openapi.ts';
import { byCreatedAt, pageOf, pageRequest } from '../../platform/pagination.ts';
import { idParam } from '../../platform/params.ts';
import type { Members } from './service.ts';

/** A client's members: invites, role changes, removal, ownership transfer (mounted under /v1). */
export function createMemberRoutes(members: Members, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .post('/member-invites', authenticate(resolver, { permission: 'member.invite' }), async (c) => {
      const { email, role } = await readBody<MemberInviteBody>(c, api('memberInviteBody'), 'invite');
      return c.json({ invite: await members.invite(c.get('principal'), email, role) }, 201);
    })
    .get('/member-invites', authenticate(resolver, { permission: 'member.invite' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await members.listInvites(c.get('principal').clientId, page);
      return c.json(pageOf(rows, page, byCreatedAt));
    })
    .delete('/member-invites/:id', authenticate(resolver, { permission: 'member.manage' }), async (c) => {
      await members.revokeInvite(c.get('principal'), idParam(c.req.param('id'), 'id'));
      return c.json({ revoked: true });
    })
    .patch('/members/:id', authenticate(resolver, { permission: 'member.manage' }), async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const { role } = await readBody<MemberRoleBody>(c, api('memberRoleBody'), 'member role');
      return c.json({ member: await members.changeRole(c.get('principal'), id, role) });
    })
    .delete('/members/:id', authenticate(resolver, { permission: 'member.manage' }), async (c) => {
      await members.remove(c.get('principal'), idParam(c.req.param('id'), 'id'));
      return c.json({ removed: true });
    })
    .post(
      '/members/:id/transfer-ownership',
      authenticate(resolver, { permission: 'member.transfer' }),
      async (c) =>
        c.json(await members.transferOwnership(c.get('principal'), idParam(c.req.param('id'), 'id'))),
    );
}
