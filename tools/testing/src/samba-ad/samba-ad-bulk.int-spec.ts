import { Client } from 'ldapts';

import { BULK } from './samba-ad-seed';
import { SambaAd, startSambaAd } from './samba-ad';

const IN_CHAIN = '1.2.840.113556.1.4.1941';

let ad: SambaAd;
let service: Client;

/**
 * Every value of a multi-valued attribute, read 1,500 at a time as from AD. Samba has no
 * server-side MaxValRange (it answers `range=0-*` and a plain read with all 5,000), so the client
 * asks for bounded ranges itself. Samba's last range comes as `member;range=4500-*` beside an empty
 * `member;range=4500-5999`: only a named range with values counts.
 */
async function allValuesInRanges(
  dn: string,
  attribute: string,
): Promise<{ values: string[]; ranges: number }> {
  const values: string[] = [];
  let ranges = 0;
  for (let low = 0; ; ) {
    const { searchEntries } = await service.search(dn, {
      scope: 'base',
      attributes: [`${attribute};range=${low}-${low + 1499}`],
    });
    ranges++;
    const [name, value] = Object.entries(searchEntries[0]).find(
      ([key, found]) =>
        key.toLowerCase().startsWith(`${attribute.toLowerCase()};range=${low}-`) &&
        (!Array.isArray(found) || found.length > 0),
    )!;
    values.push(...(Array.isArray(value) ? value : [value]).map(String));
    const high = name.slice(name.lastIndexOf('-') + 1);
    if (high === '*') return { values, ranges };
    low = Number(high) + 1;
  }
}

beforeAll(async () => {
  // A machine's first bulk start builds the cached template: ~20 s of CPU (see samba-ad-seed.ts).
  ad = await startSambaAd({ seed: 'bulk' });
  service = new Client({ url: ad.ldapUrl, timeout: 30_000 });
  await service.bind(ad.bindDn, ad.bindPassword);
}, 300_000);

afterAll(async () => {
  await service?.unbind().catch(() => undefined);
  await ad?.stop();
});

describe('startSambaAd (bulk seed)', () => {
  it('has a group of 5,000 members, readable in ranges of 1,500 and by a paged memberOf search', async () => {
    const { values, ranges } = await allValuesInRanges(ad.groups['bulk5000'].dn, 'member');
    expect(ranges).toBe(Math.ceil(BULK.groupMembers / 1500));
    expect(values).toHaveLength(BULK.groupMembers);
    expect(new Set(values)).toEqual(new Set(ad.bulk!.members.map((user) => user.dn)));

    const { searchEntries } = await service.search(ad.baseDn, {
      filter: `(memberOf=${ad.groups['bulk5000'].dn})`,
      attributes: ['sAMAccountName'],
      paged: { pageSize: 1000 },
    });
    expect(searchEntries).toHaveLength(BULK.groupMembers);
  });

  it('has a user in 1,500 groups, found completely by a paged in-chain search', async () => {
    const many = ad.users['many'];
    const { searchEntries } = await service.search(ad.baseDn, {
      filter: `(&(objectClass=group)(member:${IN_CHAIN}:=${many.dn}))`,
      attributes: ['cn'],
      paged: { pageSize: 500 },
      // Samba walks the chain of every group: 1.7 s on a quiet machine, over ldapts' default 10 s
      // server time limit once on a loaded CI machine (TimeLimitExceeded). The client's 30 s stays.
      timeLimit: 0,
    });
    expect(searchEntries.map((entry) => entry.dn).sort()).toEqual(
      ad.bulk!.groupsOfMany.map((group) => group.dn).sort(),
    );
    expect(searchEntries).toHaveLength(BULK.userGroups);
  });

  it('lets the many-groups user and the members with a password sign in', async () => {
    const withPassword = ad.bulk!.members.filter((user) => user.password);
    expect(withPassword).toHaveLength(BULK.withPassword);
    for (const user of [ad.users['many'], withPassword[0]]) {
      const client = new Client({ url: ad.ldapUrl });
      await client.bind(user.upn, user.password);
      await client.unbind();
    }
  });
});
