import { FindOptionsWhere, In } from 'typeorm';

import type { ScopeFilter } from './caller-scope';

/** The entity's columns holding a row's project and environment (an id column for those tables themselves). */
export interface ScopeColumns<T> {
  project?: keyof T & string;
  environment?: keyof T & string;
}

/**
 * A list's where options (an array is OR'ed by TypeORM) from the request's own equality filters
 * and the caller's ScopeFilter, so the database counts and pages only visible rows. A clause
 * whose list excludes the requested id is dropped rather than combined. Undefined: no row can
 * match (the caller sees nothing of what was asked), so there is nothing to query.
 */
export function scopedWhere<T>(
  base: Partial<Record<keyof T & string, string>>,
  filter: ScopeFilter,
  columns: ScopeColumns<T>,
): FindOptionsWhere<T>[] | undefined {
  if (filter.everything) return [base as FindOptionsWhere<T>];
  const wheres: FindOptionsWhere<T>[] = [];
  for (const clause of filter.clauses) {
    const where: Record<string, unknown> = { ...base };
    const restrictions: Array<[string | undefined, string[] | undefined]> = [
      [columns.project, clause.projectIds],
      [columns.environment, clause.environmentIds],
    ];
    let possible = true;
    for (const [column, ids] of restrictions) {
      if (!column || !ids) continue;
      const requested = where[column];
      if (typeof requested === 'string') possible &&= ids.includes(requested);
      else where[column] = In(ids);
    }
    if (possible) wheres.push(where as FindOptionsWhere<T>);
  }
  return wheres.length > 0 ? wheres : undefined;
}
