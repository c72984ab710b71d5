import { type Kysely, type Migration, sql } from 'kysely';
import type { Db } from './db.ts';
import type { SecretBox } from './secret-box.ts';

/** A table column holding a secret encrypted at rest, and the constraint that keeps plaintext out. */
export interface SecretColumn {
  table: string;
  /** Primary-key columns, to address one row. */
  keys: readonly string[];
  column: string;
  constraint: string;
}

/**
 * The migration that starts encrypting a column: new and updated rows must hold `enc:v1:` values now
 * (NOT VALID leaves old rows alone); `reencryptColumn` converts the old rows, then validates.
 */
export function encryptedOnly(spec: SecretColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table ${sql.table(spec.table)} add constraint ${sql.ref(spec.constraint)}
        check (${sql.ref(spec.column)} is null or ${sql.ref(spec.column)} like 'enc:v1:%') not valid`.execute(
        db,
      );
    },
  };
}

/**
 * Encrypts plaintext values and re-encrypts values under a retired key (rotation), one row at a time and
 * only if the row still holds what was read; then validates the constraint. Returns rows rewritten.
 */
export async function reencryptColumn(db: Db, box: SecretBox, spec: SecretColumn): Promise<number> {
  const col = sql.ref(spec.column);
  const rows = await sql<Record<string, string>>`select ${sql.join(spec.keys.map((k) => sql.ref(k)))},
      ${col} as stored_value from ${sql.table(spec.table)} where ${col} is not null`.execute(db);
  let rewritten = 0;
  for (const row of rows.rows) {
    const stored = row.stored_value as string;
    if (box.isCurrent(stored)) continue;
    const plain = box.isEncrypted(stored) ? box.decrypt(stored) : stored;
    const where = sql.join(
      spec.keys.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
      sql` and `,
    );
    await sql`update ${sql.table(spec.table)} set ${col} = ${box.encrypt(plain)}
      where ${where} and ${col} = ${stored}`.execute(db);
    rewritten++;
  }
  await sql`alter table ${sql.table(spec.table)} validate constraint ${sql.ref(spec.constraint)}`.execute(db);
  return rewritten;
}
