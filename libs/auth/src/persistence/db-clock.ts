import { EntityManager } from 'typeorm';

import { dialectOf, dialectSql, DialectSql } from '@flotilla/platform/persistence';

/** The dialect's SQL for the connection behind a manager: time always comes from the database. */
export function sqlFor(manager: EntityManager): DialectSql {
  return dialectSql(dialectOf(manager.connection));
}
