import type { QueryRunner } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';
import { dialectOf, dialectSql } from '@flotilla/platform/persistence';
import { isSealedValue, MasterKeyring } from '@flotilla/platform/secrets';

import { SecretPlace, associatedDataFor } from './sealed-variables';

/** The tables holding variable lists (JSON text), and how a row names its place. */
const VARIABLE_TABLES = [
  { table: 'variable_sets', key: 'project_id', place: (id: string): SecretPlace => ({ variableSetOf: id }) },
  { table: 'releases', key: 'id', place: (id: string): SecretPlace => ({ release: id }) },
] as const;

/** Only rows whose JSON holds a sensitive variable (JSON.stringify writes exactly this). */
const HAS_SENSITIVE = `%"isSensitive":true%`;
const PAGE_ROWS = 200;
const MAX_PASSES = 20;

export interface ResealOutcome {
  /** Sensitive values sealed again (or for the first time) under the sealing key. */
  values: number;
  /** Rows rewritten. */
  rows: number;
}

/** Which sensitive values of a list are not yet sealed under `keyId` (in clear, or under another key). */
function staleCount(variables: readonly orchestratorV1.Variable[], keyId: string): number {
  return variables.filter(
    (v) => v.isSensitive && (!isSealedValue(v.value ?? '') || MasterKeyring.keyIdOf(v.value ?? '') !== keyId),
  ).length;
}

function resealList(
  keyring: MasterKeyring,
  place: SecretPlace,
  variables: readonly orchestratorV1.Variable[],
  keyId: string,
): orchestratorV1.Variable[] {
  return variables.map((variable) => {
    const value = variable.value ?? '';
    if (!variable.isSensitive || MasterKeyring.keyIdOf(value) === keyId) return variable;
    const associatedData = associatedDataFor(place, variable);
    const clear = isSealedValue(value) ? keyring.open(value, associatedData) : value;
    return { ...variable, value: keyring.seal(clear, associatedData) };
  });
}

export interface SensitiveValueCount {
  total: number;
  /** Stored in clear (written before values were sealed). */
  clear: number;
}

export async function countSensitiveValues(runner: QueryRunner): Promise<SensitiveValueCount> {
  const count: SensitiveValueCount = { total: 0, clear: 0 };
  await forEachSensitiveRow(runner, (_row, variables) => {
    const sensitive = variables.filter((v) => v.isSensitive);
    count.total += sensitive.length;
    count.clear += sensitive.filter((v) => !isSealedValue(v.value ?? '')).length;
    return Promise.resolve();
  });
  return count;
}

/** The ids of the keys that sealed the stored values. */
export async function sealedKeyIds(runner: QueryRunner): Promise<Set<string>> {
  const ids = new Set<string>();
  await forEachSensitiveRow(runner, (_row, variables) => {
    for (const variable of variables) {
      const keyId = variable.isSensitive ? MasterKeyring.keyIdOf(variable.value ?? '') : undefined;
      if (keyId) ids.add(keyId);
    }
    return Promise.resolve();
  });
  return ids;
}

interface VariableRow {
  table: (typeof VARIABLE_TABLES)[number];
  id: string;
  json: string;
}

async function forEachSensitiveRow(
  runner: QueryRunner,
  visit: (row: VariableRow, variables: orchestratorV1.Variable[]) => Promise<void>,
): Promise<void> {
  const sql = dialectSql(dialectOf(runner.connection));
  for (const table of VARIABLE_TABLES) {
    let after = '';
    for (;;) {
      const rows = (await runner.query(
        `SELECT ${table.key} AS id, variables AS variables FROM ${table.table} ` +
          `WHERE ${table.key} > ${sql.param(1)} AND variables LIKE ${sql.param(2)} ` +
          `ORDER BY ${table.key} ${sql.limit(PAGE_ROWS)}`,
        [after, HAS_SENSITIVE],
      )) as { id: string; variables: string }[];
      for (const row of rows) {
        await visit(
          { table, id: row.id, json: row.variables },
          JSON.parse(row.variables) as orchestratorV1.Variable[],
        );
      }
      if (rows.length < PAGE_ROWS) break;
      after = (rows[rows.length - 1] as { id: string }).id;
    }
  }
}

/**
 * Seals every sensitive value of every variable set and release under the keyring's current key:
 * clear values (written before sealing existed) and values under an older key (a rotation). Each
 * row is rewritten only if it still holds what was read (compare-and-set), so a variable set
 * saved meanwhile is not overwritten; passes repeat until one finds nothing left to do. Safe to
 * run again after a crash: values already under the current key are left alone.
 */
export function resealSensitiveValues(runner: QueryRunner, keyring: MasterKeyring): Promise<ResealOutcome> {
  return rewriteSensitiveValues(runner, (variables, place) => {
    const keyId = keyring.sealingKey.id;
    return { stale: staleCount(variables, keyId), next: () => resealList(keyring, place, variables, keyId) };
  });
}

/** The reverse, for reverting the migration that sealed them: every sensitive value back in clear. */
export function unsealSensitiveValues(runner: QueryRunner, keyring: MasterKeyring): Promise<ResealOutcome> {
  return rewriteSensitiveValues(runner, (variables, place) => ({
    stale: variables.filter((v) => v.isSensitive && isSealedValue(v.value ?? '')).length,
    next: () =>
      variables.map((v) =>
        v.isSensitive && isSealedValue(v.value ?? '')
          ? { ...v, value: keyring.open(v.value ?? '', associatedDataFor(place, v)) }
          : v,
      ),
  }));
}

type RowRewrite = (
  variables: orchestratorV1.Variable[],
  place: SecretPlace,
) => { stale: number; next: () => orchestratorV1.Variable[] };

async function rewriteSensitiveValues(runner: QueryRunner, rewrite: RowRewrite): Promise<ResealOutcome> {
  const sql = dialectSql(dialectOf(runner.connection));
  const outcome: ResealOutcome = { values: 0, rows: 0 };
  for (let pass = 1; pass <= MAX_PASSES; pass += 1) {
    let found = 0;
    await forEachSensitiveRow(runner, async (row, variables) => {
      const { stale, next } = rewrite(variables, row.table.place(row.id));
      if (stale === 0) return;
      found += stale;
      const result = await runner.query(
        `UPDATE ${row.table.table} SET variables = ${sql.param(1)} ` +
          `WHERE ${row.table.key} = ${sql.param(2)} AND variables = ${sql.param(3)}`,
        [JSON.stringify(next()), row.id, row.json],
        true,
      );
      if ((result as { affected?: number }).affected === 1) {
        outcome.values += stale;
        outcome.rows += 1;
      }
    });
    if (found === 0) return outcome;
  }
  throw new Error(`sensitive values still changing after ${MAX_PASSES} passes; run the command again`);
}
