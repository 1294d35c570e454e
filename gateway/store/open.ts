// Which backend holds the gateway's state: GATEWAY_DATABASE_URL (postgres://...) names a
// PostgreSQL database that replicas share; without it, the SQLite file (--db, GATEWAY_DB, or the
// default under the topology's state directory) as before.
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { GatewayStore } from './store';

export const isDatabaseUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** Opens `database`: a postgres:// or postgresql:// URL, else a SQLite file path. */
export async function openStore(database: string): Promise<GatewayStore> {
    return isDatabaseUrl(database) ? PostgresStore.open(database) : SqliteStore.open(database);
}
