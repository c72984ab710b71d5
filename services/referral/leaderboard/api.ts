import { api, describe } from '../../platform/openapi.ts';

const BOARD = [
  { name: 'campaign', description: 'The campaign id.' },
  { name: 'board', description: 'The leaderboard’s id in the campaign’s `leaderboards:`.' },
];
const PERIOD = {
  name: 'period',
  description:
    'A period key (`2026-W49`, `2026-12` or `campaign`); default the current period in the board’s time zone.',
  schema: { type: 'string', pattern: '^(campaign|\\d{4}-W\\d{2}|\\d{4}-\\d{2})$' },
};

/** The OpenAPI description of the leaderboard routes (routes.ts). */
export const leaderboardApi = [
  describe({
    method: 'get',
    path: '/v1/campaigns/:campaign/leaderboards/:board',
    operationId: 'getLeaderboard',
    summary: 'A leaderboard’s top places',
    description:
      'Ranked by the board’s metric, equal scores by earlier join. Served from a Redis sorted set (Postgres while the set is rebuilt).',
    tags: ['leaderboards'],
    permission: 'leaderboard.read',
    pathParams: BOARD,
    query: [
      PERIOD,
      {
        name: 'limit',
        description: 'Places to return (default 100).',
        schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      },
      {
        name: 'offset',
        description: 'Places to skip (default 0).',
        schema: { type: 'integer', minimum: 0, default: 0 },
      },
    ],
    responses: { 200: api('leaderboard') },
    errors: [404],
  }),
  describe({
    method: 'get',
    path: '/v1/campaigns/:campaign/leaderboards/:board/participants/:id',
    operationId: 'getLeaderboardParticipant',
    summary: 'A participant’s rank and neighbours',
    tags: ['leaderboards'],
    permission: 'leaderboard.read',
    pathParams: [...BOARD, { name: 'id', description: 'The participant id.' }],
    query: [
      PERIOD,
      {
        name: 'around',
        description: 'Places above and below to include (default 5).',
        schema: { type: 'integer', minimum: 0, maximum: 50, default: 5 },
      },
    ],
    responses: { 200: api('leaderboardParticipant') },
    errors: [404],
  }),
  describe({
    method: 'post',
    path: '/v1/campaigns/:campaign/leaderboards/:board/rebuild',
    operationId: 'rebuildLeaderboard',
    summary: 'Rebuild a leaderboard’s Redis index from Postgres',
    description: 'Normally automatic (a read that finds the index missing starts it); this waits for it.',
    tags: ['leaderboards'],
    permission: 'leaderboard.manage',
    pathParams: BOARD,
    query: [PERIOD],
    responses: { 200: api('leaderboardRebuild') },
    errors: [404],
    idempotencyKey: true,
  }),
  describe({
    method: 'get',
    path: '/v1/public/leaderboards/:clientId/:campaign/:board',
    operationId: 'getPublicLeaderboard',
    summary: 'The anonymised public leaderboard',
    description:
      'No key needed. Only for boards with `public.enabled`; names masked, no participant ids, and empty (`below_min_size: true`) while the board has fewer than `public.min_size` participants.',
    tags: ['leaderboards'],
    auth: 'none',
    pathParams: [{ name: 'clientId', description: 'The client id.' }, ...BOARD],
    query: [PERIOD],
    responses: { 200: api('publicLeaderboard') },
    errors: [404],
  }),
];
