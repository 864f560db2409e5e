import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: teams with scoped role grants (issue 10 point 4), and the directory groups each
 * directory user was last seen in.
 *
 * - `teams`: `name_normalized` (lower case, set by TeamsRepository only) is unique, so names differing
 *   only in letter case are one team on every database, whatever its collation.
 * - `team_members`: a Flotilla user id or a directory group id (objectSid / entryUUID / DN), with the
 *   group's name kept for display. `ix_team_members_member` serves ValidateToken's look-up by member.
 * - `team_grants`: a role name and optional JSON lists of project / environment ids (NULL: everywhere).
 * - `directory_user_groups`: recorded at every directory sign-in (and by the directory sync), so a
 *   token's principal finds the user's group teams without asking the directory.
 */
export class CreateTeams1764200000150 implements MigrationInterface {
  name = 'CreateTeams1764200000150';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'teams',
        columns: [
          c.id(),
          c.varchar('name', 100),
          c.varchar('name_normalized', 100),
          c.text('description'),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
        indices: [
          new TableIndex({
            name: 'ux_teams_name_normalized',
            columnNames: ['name_normalized'],
            isUnique: true,
          }),
        ],
      }),
    );
    const ownedBy = (table: string, column: string, parent: string): TableForeignKey =>
      new TableForeignKey({
        name: `fk_${table}_${parent}`,
        columnNames: [column],
        referencedTableName: parent,
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });
    await queryRunner.createTable(
      new Table({
        name: 'team_members',
        columns: [
          { ...c.ref('team_id'), isPrimary: true },
          { ...c.varchar('member_kind', 10), isPrimary: true },
          { ...c.varchar('member_id', 400), isPrimary: true },
          c.varchar('display_name', 256, true),
        ],
        indices: [
          new TableIndex({ name: 'ix_team_members_member', columnNames: ['member_id', 'member_kind'] }),
        ],
        foreignKeys: [ownedBy('team_members', 'team_id', 'teams')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'team_grants',
        columns: [
          c.id(),
          c.ref('team_id'),
          c.int('position'),
          c.varchar('role', 50),
          c.text('project_ids', true),
          c.text('environment_ids', true),
        ],
        indices: [new TableIndex({ name: 'ix_team_grants_team', columnNames: ['team_id'] })],
        foreignKeys: [ownedBy('team_grants', 'team_id', 'teams')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'directory_user_groups',
        columns: [
          { ...c.ref('user_id'), isPrimary: true },
          { ...c.varchar('group_id', 400), isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'ix_directory_user_groups_group', columnNames: ['group_id'] })],
        foreignKeys: [ownedBy('directory_user_groups', 'user_id', 'users')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Indices go with their table; dropped by name first they fail on Babelfish, which stores them
    // under a hashed name (the other auth migrations drop tables the same way).
    await queryRunner.dropTable('directory_user_groups', false, true, false);
    await queryRunner.dropTable('team_grants', false, true, false);
    await queryRunner.dropTable('team_members', false, true, false);
    await queryRunner.dropTable('teams', false, true, false);
  }
}
