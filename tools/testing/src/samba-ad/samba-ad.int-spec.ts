import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

import { Client, ClientOptions, Entry } from 'ldapts';

import { processGroupAlive } from '../process-group';
import { SambaAd, startSambaAd } from './samba-ad';

/** RFC 4515 value escaping, for the DNs with `( ) \ *` the seed has. */
function filterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const IN_CHAIN = '1.2.840.113556.1.4.1941';
/** msDS-User-Account-Control-Computed flags (MS-ADTS 2.2.16). */
const UF_LOCKOUT = 0x10;
const UF_PASSWORD_EXPIRED = 0x800000;

let ad: SambaAd;
const clients: Client[] = [];

function client(options: Partial<ClientOptions> = {}): Client {
  const created = new Client({ url: ad.ldapUrl, connectTimeout: 5000, timeout: 5000, ...options });
  clients.push(created);
  return created;
}

function tls() {
  return { ca: [readFileSync(ad.caFile)], servername: ad.hostName };
}

async function serviceClient(): Promise<Client> {
  const service = client();
  await service.bind(ad.bindDn, ad.bindPassword);
  return service;
}

async function one(filter: string, attributes: string[], base = ad.baseDn): Promise<Entry> {
  const { searchEntries } = await (
    await serviceClient()
  ).search(base, {
    scope: 'sub',
    filter,
    attributes,
    explicitBufferAttributes: ['objectSid'],
  });
  expect(searchEntries).toHaveLength(1);
  return searchEntries[0];
}

/** The AD sub-code ("data 533" etc.) a refused bind carries. */
async function bindRefusal(dn: string, password: string): Promise<string> {
  const error = await client()
    .bind(dn, password)
    .then(
      () => undefined,
      (refused: unknown) => refused as Error,
    );
  expect(error?.constructor.name).toBe('InvalidCredentialsError');
  return /data ([0-9a-f]+)/.exec(error!.message)?.[1] ?? error!.message;
}

beforeAll(async () => {
  ad = await startSambaAd({ seed: 'basic' });
}, 120_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.unbind().catch(() => undefined)));
});

afterAll(async () => {
  await ad?.stop();
});

describe('startSambaAd (basic seed)', () => {
  it('binds the service account and users over plain LDAP, by DN and by UPN', async () => {
    await client().bind(ad.bindDn, ad.bindPassword);
    await client().bind(ad.users['alice'].upn, ad.users['alice'].password);
    await client().bind(ad.users['special'].dn, ad.users['special'].password);
    await client().bind(`${ad.netbiosDomain}\\${ad.users['bob'].sam}`, ad.users['bob'].password);
    expect(await bindRefusal(ad.users['alice'].dn, 'not-the-password')).toBe('52e');
  });

  it('binds over StartTLS and LDAPS, verifying the certificate against caFile and hostName', async () => {
    const startTls = client();
    await startTls.startTLS(tls());
    await startTls.bind(ad.users['alice'].upn, ad.users['alice'].password);

    const ldaps = client({ url: ad.ldapsUrl, tlsOptions: tls() });
    await ldaps.bind(ad.users['special'].upn, ad.users['special'].password);

    // The same connections are refused when the name or the authority does not match: the
    // verification above is real.
    await expect(
      client({ url: ad.ldapsUrl, tlsOptions: { ...tls(), servername: 'other.flotilla.test' } }).bind(
        ad.bindDn,
        ad.bindPassword,
      ),
    ).rejects.toThrow(/altnames|Hostname/i);
    await expect(client().startTLS({ servername: ad.hostName })).rejects.toThrow(/certificate/i);
  });

  it('returns every seeded DN exactly as the DC spells it', async () => {
    for (const user of Object.values(ad.users)) {
      const entry = await one(`(sAMAccountName=${filterValue(user.sam)})`, ['userPrincipalName']);
      expect(entry.dn).toBe(user.dn);
      expect(entry['userPrincipalName']).toBe(user.upn);
    }
    for (const group of Object.values(ad.groups)) {
      const entry = await one(`(sAMAccountName=${filterValue(group.sam)})`, ['cn']);
      expect(entry.dn).toBe(group.dn);
      expect(entry['cn']).toBe(group.name);
    }
  });

  it('finds nested groups three levels deep with the in-chain rule, scoped to a group base', async () => {
    const service = await serviceClient();
    const groupsOf = async (memberDn: string, base: string): Promise<string[]> => {
      const { searchEntries } = await service.search(base, {
        scope: 'sub',
        filter: `(member:${IN_CHAIN}:=${filterValue(memberDn)})`,
        attributes: ['cn'],
      });
      return searchEntries.map((entry) => entry.dn).sort();
    };
    const g = ad.groups;
    expect(await groupsOf(ad.users['alice'].dn, ad.baseDn)).toEqual(
      [g['level1'].dn, g['level2'].dn, g['level3'].dn, g['special'].dn, g['outside'].dn].sort(),
    );
    expect(await groupsOf(ad.users['alice'].dn, ad.groupsBaseDn)).toEqual(
      [g['level1'].dn, g['level2'].dn, g['level3'].dn, g['special'].dn].sort(),
    );
    // The special user's DN has `, # ( ) \ *` and non-ASCII: escaped, it still matches.
    expect(await groupsOf(ad.users['special'].dn, ad.baseDn)).toEqual(
      [g['level1'].dn, g['level2'].dn, g['level3'].dn, g['special'].dn].sort(),
    );
    // The cycle: bob is in cycleA, which is in cycleB, which is in cycleA.
    expect(await groupsOf(ad.users['bob'].dn, ad.groupsBaseDn)).toEqual(
      [g['cycleA'].dn, g['cycleB'].dn].sort(),
    );
    const cycleA = await one(`(cn=${g['cycleA'].name})`, ['member']);
    expect(cycleA['member']).toEqual(expect.arrayContaining([g['cycleB'].dn, ad.users['bob'].dn]));
  });

  it('gives the primary user a primaryGroupID naming groups.primary, which does not list the user as a member', async () => {
    const user = await one(`(sAMAccountName=${ad.users['primary'].sam})`, ['primaryGroupID', 'memberOf']);
    const group = await one(`(cn=${ad.groups['primary'].name})`, ['objectSid', 'member']);
    const sid = group['objectSid'] as Buffer;
    // The RID is the SID's last sub-authority (little-endian).
    expect(Number(user['primaryGroupID'])).toBe(sid.readUInt32LE(sid.length - 4));
    expect(Number(user['primaryGroupID'])).not.toBe(513); // not Domain Users
    expect(group['member'] ?? []).toEqual([]);
    // AD made the former primary group (Domain Users) an explicit membership instead.
    expect(user['memberOf']).toBe(`CN=Domain Users,CN=Users,${ad.baseDn}`);
    await client().bind(ad.users['primary'].upn, ad.users['primary'].password);
  });

  it('seeds disabled, locked-out, expired and must-change accounts that the DC refuses with their reasons', async () => {
    const attributes = [
      'userAccountControl',
      'lockoutTime',
      'accountExpires',
      'pwdLastSet',
      'msDS-User-Account-Control-Computed',
    ];
    const state = (key: string) => one(`(sAMAccountName=${ad.users[key].sam})`, attributes);
    const now = BigInt(Date.now()) * 10_000n + 116_444_736_000_000_000n;

    const disabled = await state('disabled');
    expect(Number(disabled['userAccountControl']) & 0x2).toBe(0x2);

    const locked = await state('locked');
    expect(BigInt(locked['lockoutTime'] as string)).toBeGreaterThan(now - 10n * 60n * 10_000_000n);
    expect(Number(locked['msDS-User-Account-Control-Computed']) & UF_LOCKOUT).toBe(UF_LOCKOUT);

    const expired = await state('expired');
    const expires = BigInt(expired['accountExpires'] as string);
    expect(expires).toBeGreaterThan(0n);
    expect(expires).toBeLessThan(now);

    const mustChange = await state('mustChange');
    expect(mustChange['pwdLastSet']).toBe('0');
    expect(Number(mustChange['msDS-User-Account-Control-Computed']) & UF_PASSWORD_EXPIRED).toBe(
      UF_PASSWORD_EXPIRED,
    );

    const plain = await state('alice');
    expect(Number(plain['userAccountControl']) & 0x2).toBe(0);
    expect(Number(plain['msDS-User-Account-Control-Computed'])).toBe(0);

    // AD's sub-codes in the bind refusal (MS-ADTS / LDAP error 49 "data"): the correct password is refused.
    expect(await bindRefusal(ad.users['disabled'].dn, ad.users['disabled'].password)).toBe('533');
    expect(await bindRefusal(ad.users['locked'].dn, ad.users['locked'].password)).toBe('775');
    expect(await bindRefusal(ad.users['expired'].dn, ad.users['expired'].password)).toBe('701');
    expect(await bindRefusal(ad.users['mustChange'].dn, ad.users['mustChange'].password)).toBe('773');
  });
});

describe('SambaAd.suspend', () => {
  it('leaves connections unanswered until resume()', async () => {
    ad.suspend();
    try {
      const hung = client({ timeout: 1000, connectTimeout: 1000 });
      const started = Date.now();
      await expect(hung.bind(ad.bindDn, ad.bindPassword)).rejects.toThrow(/timeout|timed out/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      ad.resume();
    }
    await client().bind(ad.bindDn, ad.bindPassword);
  });
});

describe('SambaAd.stop', () => {
  it('leaves no process and nothing listening behind, even when suspended', async () => {
    const second = await startSambaAd({ seed: 'basic' });
    expect(second.address).not.toBe(ad.address);
    expect(processGroupAlive(second.pid)).toBe(true);
    second.suspend(); // even a hung DC goes
    await second.stop();
    expect(processGroupAlive(second.pid)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: second.address, port: 389 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 120_000);
});
