import {
  AndFilter,
  BindRequest,
  EqualityFilter,
  ExtensibleFilter,
  SearchRequest,
  UnbindRequest,
} from 'ldapts';

import {
  ldapRequestKind,
  LdapRequestTally,
  meterLdapClients,
  meterLdapRequests,
  Sender,
  SentMessage,
} from './ldap-request-meter';

const inChain = new AndFilter({
  filters: [
    new EqualityFilter({ attribute: 'objectClass', value: 'group' }),
    new ExtensibleFilter({ matchType: 'member', rule: '1.2.840.113556.1.4.1941', value: 'CN=x,DC=t' }),
  ],
});

describe('ldapRequestKind', () => {
  it('tells binds, unbinds, in-chain group searches and other searches apart on real ldapts messages', () => {
    expect(ldapRequestKind(new BindRequest({ messageId: 1, dn: 'CN=x', password: 'p' }))).toBe('bind');
    expect(ldapRequestKind(new UnbindRequest({ messageId: 2 }))).toBe('unbind');
    expect(ldapRequestKind(new SearchRequest({ messageId: 3, filter: inChain }))).toBe(
      'search: nested groups (in-chain)',
    );
    const plain = new EqualityFilter({ attribute: 'sAMAccountName', value: 'alice' });
    expect(ldapRequestKind(new SearchRequest({ messageId: 4, filter: plain }))).toBe('search');
    expect(ldapRequestKind({ protocolOperation: 0x66 })).toBe('other');
  });
});

describe('meterLdapRequests', () => {
  it('counts and times each request by kind, passes answers and failures through, and undoes itself', async () => {
    const sent: SentMessage[] = [];
    const target: Sender = {
      _send(message) {
        sent.push(message);
        if (message.protocolOperation === 0x60) return Promise.reject(new Error('refused'));
        return Promise.resolve('answer');
      },
    };
    const original = target._send;
    const tally = new LdapRequestTally();
    const undo = meterLdapRequests(target, tally);

    await expect(target._send(new SearchRequest({ messageId: 1, filter: inChain }))).resolves.toBe('answer');
    await expect(target._send(new SearchRequest({ messageId: 2, filter: inChain }))).resolves.toBe('answer');
    await expect(target._send(new BindRequest({ messageId: 3, dn: 'CN=x', password: 'p' }))).rejects.toThrow(
      'refused',
    );
    expect(sent).toHaveLength(3);
    expect(tally.count('search: nested groups (in-chain)')).toBe(2);
    expect(tally.count('bind')).toBe(1);
    expect(tally.count('search')).toBe(0);
    expect(tally.count()).toBe(3);
    expect(tally.totalMs()).toBeGreaterThanOrEqual(0);
    expect(tally.kinds().sort()).toEqual(['bind', 'search: nested groups (in-chain)']);

    undo();
    expect(target._send).toBe(original);
    await target._send(new UnbindRequest({ messageId: 4 }));
    expect(tally.count()).toBe(3);
    tally.reset();
    expect(tally.count()).toBe(0);
  });

  it('takes a finer classifier', async () => {
    const target: Sender = { _send: () => Promise.resolve(undefined) };
    const tally = new LdapRequestTally();
    const undo = meterLdapRequests(target, tally, (message) =>
      message.filter?.toString().includes('CN=x') ? 'about x' : 'other',
    );
    await target._send(new SearchRequest({ messageId: 1, filter: inChain }));
    await target._send(new UnbindRequest({ messageId: 2 }));
    undo();
    expect(tally.kinds()).toEqual(['about x', 'other']);
  });

  it('finds the private _send on the installed ldapts Client (or says the meter needs updating)', () => {
    const undo = meterLdapClients(new LdapRequestTally());
    undo();
  });
});
