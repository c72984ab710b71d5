import { api, describe } from '../../platform/openapi.ts';

const MEMBER = { name: 'id', description: 'The member id (`mem_…`).' };

/** The OpenAPI description of the member routes (members/routes.ts). */
export const memberApi = [
  describe({
    method: 'post',
    path: '/v1/member-invites',
    operationId: 'inviteMember',
    summary: 'Invite a member by email',
    description: `Emails a signed link that works once for ${7} days; accepting it creates the member with the role (at most the caller’s own) and signs them in.`,
    tags: ['account'],
    permission: 'member.invite',
    body: api('memberInviteBody'),
    responses: { 201: { description: 'Invited', schema: api('memberInviteEnvelope') } },
    errors: [409, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/member-invites',
    operationId: 'listMemberInvites',
    summary: 'List pending invites',
    tags: ['account'],
    permission: 'member.invite',
    paginated: true,
    responses: { 200: api('memberInviteList') },
  }),
  describe({
    method: 'delete',
    path: '/v1/member-invites/:id',
    operationId: 'revokeMemberInvite',
    summary: 'Revoke a pending invite',
    tags: ['account'],
    permission: 'member.manage',
    pathParams: [{ name: 'id', description: 'The invite id (`inv_…`).' }],
    responses: { 200: api('inviteRevoked') },
    errors: [404],
  }),
  describe({
    method: 'patch',
    path: '/v1/members/:id',
    operationId: 'setMemberRole',
    summary: 'Change a member’s role',
    description:
      'Within the caller’s own role (only owners touch owners); the member’s keys follow. 409 LAST_OWNER when it would leave no owner.',
    tags: ['account'],
    permission: 'member.manage',
    pathParams: [MEMBER],
    body: api('memberRoleBody'),
    responses: { 200: api('memberEnvelope') },
    errors: [404, 409],
  }),
  describe({
    method: 'delete',
    path: '/v1/members/:id',
    operationId: 'removeMember',
    summary: 'Remove a member',
    description:
      'Revokes the member’s keys and ends their sessions in this client. 409 LAST_OWNER for the last owner.',
    tags: ['account'],
    permission: 'member.manage',
    pathParams: [MEMBER],
    responses: { 200: api('memberRemoved') },
    errors: [404, 409],
  }),
  describe({
    method: 'post',
    path: '/v1/members/:id/transfer-ownership',
    operationId: 'transferOwnership',
    summary: 'Transfer ownership',
    description: 'Makes the member an owner; an owner member handing over becomes admin.',
    tags: ['account'],
    permission: 'member.transfer',
    pathParams: [MEMBER],
    responses: { 200: api('ownershipTransferred') },
    errors: [404, 409],
  }),
];
