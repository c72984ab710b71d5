import { api, describe } from '../platform/openapi.ts';
import { leaderboardApi } from './leaderboard/api.ts';

/** The OpenAPI description of the public referral routes and the share link (routes.ts). */
export const referralApi = [
  describe({
    method: 'get',
    path: '/v1/referrals/codes/:code',
    operationId: 'checkReferralCode',
    summary: 'Whether a referral code is valid',
    description: 'Says only whether the code is valid and for which campaign, never who owns it.',
    tags: ['referrals'],
    permission: 'referral.check',
    pathParams: [{ name: 'code', description: 'The referral code (case-insensitive).' }],
    responses: { 200: api('referralCodeCheck') },
  }),
  describe({
    method: 'get',
    path: '/v1/referrals/participants/:id',
    operationId: 'listParticipantReferrals',
    summary: 'The referrals a participant made',
    tags: ['referrals'],
    permission: 'referral.read',
    pathParams: [{ name: 'id', description: 'The referrer’s participant id.' }],
    paginated: true,
    responses: { 200: api('referralList') },
  }),
  describe({
    method: 'get',
    path: '/r/:clientId/:code',
    operationId: 'followShareLink',
    summary: 'The share link',
    description:
      'Redirects to the campaign’s landing page (`landing.url` in its YAML) with `?ref=CODE`, sets the first-party `pulse_ref` cookie for the attribution window, and records the visit (a keyed hash of the IP) for the fraud check.',
    tags: ['referrals'],
    auth: 'none',
    pathParams: [
      { name: 'clientId', description: 'The client id.' },
      { name: 'code', description: 'The referral code.' },
    ],
    responses: {
      200: {
        description: 'The code is valid but has no landing page (a small HTML page)',
        text: 'text/html',
      },
      302: {
        description: 'To the landing page',
        headers: {
          Location: 'The landing URL with `?ref=CODE`.',
          'Set-Cookie': '`pulse_ref=<code>` (SameSite=Lax, HttpOnly).',
        },
      },
      404: { description: 'No such code, or its campaign has ended (an HTML page)', text: 'text/html' },
    },
  }),
  ...leaderboardApi,
];
