import { Client } from 'ldapts';

import { NESTED } from './samba-ad-nested-seed';
import { SambaAd, startSambaAd } from './samba-ad';

const IN_CHAIN = '1.2.840.113556.1.4.1941';

let ad: SambaAd;
let service: Client;

beforeAll(async () => {
  ad = await startSambaAd({ seed: 'nested300' });
  service = new Client({ url: ad.ldapUrl, timeout: 30_000 });
  await service.bind(ad.bindDn, ad.bindPassword);
}, 300_000);

afterAll(async () => {
  await service?.unbind().catch(() => undefined);
  await ad?.stop();
});

describe('startSambaAd (nested300 seed)', () => {
  it('has a user reaching exactly the 300 seeded groups through the in-chain rule, 3 of them directly', async () => {
    const nested = ad.users['nested'];
    if (!nested) throw new Error('the nested300 seed has no nested user');
    const inChain = await service.search(ad.nested!.groupsBaseDn, {
      filter: `(member:${IN_CHAIN}:=${nested.dn})`,
      attributes: ['cn'],
      paged: { pageSize: 500 },
    });
    expect(inChain.searchEntries).toHaveLength(NESTED.groups);
    expect(inChain.searchEntries.map((entry) => entry.dn).sort()).toEqual(
      ad.nested!.groups.map((group) => group.dn).sort(),
    );
    const direct = await service.search(ad.baseDn, {
      filter: `(member=${nested.dn})`,
      attributes: ['cn'],
    });
    expect(direct.searchEntries).toHaveLength(NESTED.fanouts[0]);
  });

  it('keeps the basic seed beside it, and the nested user signs in', async () => {
    expect(ad.users['alice']).toBeDefined();
    const nested = ad.users['nested'];
    if (!nested) throw new Error('the nested300 seed has no nested user');
    const client = new Client({ url: ad.ldapUrl });
    await client.bind(nested.upn, nested.password);
    await client.unbind();
  });
});
