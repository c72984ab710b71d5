import { after, before } from 'node:test';
import { busContract } from '../../../test/support/bus-contract.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import type { InspectableBus } from './inspect.ts';
import { busMigrations, createPostgresBus } from './postgres-bus.ts';

let tdb: TestDatabase;
let bus: InspectableBus;

before(async () => {
  tdb = await createTestDatabase({ bus: busMigrations });
  bus = createPostgresBus({
    db: tdb.db,
    listenUrl: tdb.url,
    pollMs: 200,
    retryBaseMs: 50,
    visibilityMs: 5_000,
  });
});

after(async () => {
  await bus.close();
  await tdb.drop();
});

busContract('postgres bus', () => bus, { quietMs: 300 });
