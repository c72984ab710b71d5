import { createBusFromConfig } from './bus/from-config.ts';
import type { InspectableBus } from './bus/inspect.ts';
import { type ClickHouse, createClickHouse } from './clickhouse.ts';
import type { Config } from './config.ts';
import { createDb, type Db } from './db.ts';

/** What every long-running entry point connects to. */
export interface Connections {
  db: Db;
  ch: ClickHouse;
  bus: InspectableBus;
  /** Closes the bus first (it reads the database), then ClickHouse and the pool. */
  close(): Promise<void>;
}

/**
 * Postgres, ClickHouse and the bus as the configuration asks for them: the one place the runtime, the
 * benchmarks and the local platform build them, so they cannot drift apart (pool, bus adapter, database).
 */
export function openConnections(config: Readonly<Config>, opts: { poolSize?: number } = {}): Connections {
  const db = createDb(config.databaseUrl, opts.poolSize ?? 20);
  const ch = createClickHouse(config.clickhouseUrl, config.clickhouseDatabase);
  const bus = createBusFromConfig(config, db);
  return {
    db,
    ch,
    bus,
    async close() {
      await bus.close();
      await ch.close();
      await db.destroy();
    },
  };
}
