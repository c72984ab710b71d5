import { type Generated, type Kysely, type Selectable, sql } from 'kysely';

export interface EventTypesTable {
  client_id: string;
  name: string;
  version: number;
  description: string | null;
  schema: unknown;
  schema_hash: string;
  source: string;
  created_by: string;
  created_at: Generated<Date>;
  archived_at: Date | null;
}

type Db = Kysely<{ event_types: EventTypesTable }>;

export type EventTypeRow = Omit<Selectable<EventTypesTable>, 'schema'> & { schema: Record<string, unknown> };

/** The current (highest) version of each of a client's names, archived included, by name. */
export async function currentTypes(
  db: Db,
  clientId: string,
  page: { after?: string; limit: number } = { limit: 1_000 },
): Promise<EventTypeRow[]> {
  let q = db
    .selectFrom('event_types')
    .selectAll()
    .distinctOn('name')
    .where('client_id', '=', clientId)
    .orderBy('name')
    .orderBy('version', 'desc')
    .limit(page.limit);
  if (page.after !== undefined) q = q.where('name', '>', page.after);
  return (await q.execute()) as EventTypeRow[];
}

/** One version of a name (the current one without `version`). */
export async function findType(
  db: Db,
  clientId: string,
  name: string,
  version?: number,
): Promise<EventTypeRow | undefined> {
  let q = db
    .selectFrom('event_types')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .limit(1);
  if (version !== undefined) q = q.where('version', '=', version);
  return (await q.executeTakeFirst()) as EventTypeRow | undefined;
}

/** Every version of a name, newest first (bounded). */
export async function listVersions(db: Db, clientId: string, name: string): Promise<EventTypeRow[]> {
  return (await db
    .selectFrom('event_types')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .limit(100)
    .execute()) as EventTypeRow[];
}

/** Number of a client's names that are not archived. */
export async function countActive(db: Db, clientId: string): Promise<number> {
  const rows = await currentTypes(db, clientId, { limit: 10_000 });
  return rows.filter((r) => r.archived_at === null).length;
}

/**
 * Appends the next version of a name. Returns undefined when another writer took that version number
 * first (the caller reads again and retries).
 */
export async function appendVersion(
  db: Db,
  row: Omit<Selectable<EventTypesTable>, 'version' | 'created_at' | 'archived_at'>,
): Promise<EventTypeRow | undefined> {
  const next = sql<number>`(select coalesce(max(version), 0) + 1 from event_types where client_id = ${row.client_id} and name = ${row.name})`;
  const inserted = await db
    .insertInto('event_types')
    .values({ ...row, schema: JSON.stringify(row.schema), version: next, archived_at: null })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted as EventTypeRow | undefined;
}

/** Archives the current version of a name; undefined when there is none (or it is archived already). */
export async function archiveCurrent(
  db: Db,
  clientId: string,
  name: string,
): Promise<EventTypeRow | undefined> {
  const current = await findType(db, clientId, name);
  if (!current || current.archived_at !== null) return undefined;
  return (await db
    .updateTable('event_types')
    .set({ archived_at: new Date() })
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .where('version', '=', current.version)
    .where('archived_at', 'is', null)
    .returningAll()
    .executeTakeFirst()) as EventTypeRow | undefined;
}
