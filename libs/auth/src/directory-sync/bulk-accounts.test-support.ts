import { randomUUID } from 'node:crypto';

import type { Client } from 'ldapts';
import type { DataSource } from 'typeorm';

import { decodeGuid } from '../directory/directory-ids';
import { UserEntity } from '../persistence/user.entity';
import { normalizeUsername } from '../users/user-rules';

/** Directory accounts by their entry's DN (any letter case): the Flotilla user id of each. */
export class BulkAccounts {
  private readonly ids = new Map<string, string>();

  get size(): number {
    return this.ids.size;
  }

  idOf(dn: string): string {
    const id = this.ids.get(dn.toLowerCase());
    if (!id) throw new Error(`no account for ${dn}`);
    return id;
  }

  /**
   * The accounts sign-ins would have made for the directory users `userFilter` finds, inserted
   * directly (the scale specs measure the sync, not thousands of sign-ins).
   */
  static async insert(
    admin: Client,
    baseDn: string,
    netbiosDomain: string,
    userFilter: string,
    dataSource: DataSource,
  ): Promise<BulkAccounts> {
    const accounts = new BulkAccounts();
    const { searchEntries } = await admin.search(baseDn, {
      filter: `(&(objectClass=user)${userFilter})`,
      attributes: ['sAMAccountName', 'objectGUID'],
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: 1000 },
    });
    const now = new Date();
    const rows = searchEntries.map((entry) => {
      const username = `${netbiosDomain}\\${String(entry['sAMAccountName'])}`;
      const id = randomUUID();
      accounts.ids.set(entry.dn.toLowerCase(), id);
      return {
        id,
        username,
        usernameNormalized: normalizeUsername(username),
        displayName: username,
        passwordHash: null,
        roles: '[]',
        isActive: true,
        source: 'directory' as const,
        externalId: decodeGuid(entry['objectGUID'] as Buffer),
        mustChangePassword: false,
        createdAt: now,
        updatedAt: now,
      };
    });
    for (let start = 0; start < rows.length; start += 200)
      await dataSource
        .createQueryBuilder()
        .insert()
        .into(UserEntity)
        .values(rows.slice(start, start + 200))
        .execute();
    return accounts;
  }
}
