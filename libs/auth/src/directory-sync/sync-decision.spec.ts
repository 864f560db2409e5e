import {
  decide,
  DirectoryAccountState,
  LocalDirectoryAccount,
  looksLikeALostGroup,
  looksLikeAnEmptyAnswer,
} from './sync-decision';

const account = (overrides: Partial<LocalDirectoryAccount> = {}): LocalDirectoryAccount => ({
  id: 'u1',
  username: 'FLOTILLA\\alice',
  externalId: 'guid-1',
  isActive: true,
  deactivatedBySync: false,
  ...overrides,
});

describe(decide.name, () => {
  it('keeps an active account the directory still allows', () => {
    expect(decide(account(), { found: true })).toEqual({ kind: 'keep' });
  });

  it.each(['disabled', 'locked', 'expired'] as const)(
    'deactivates an active account that is %s',
    (refusal) => {
      expect(decide(account(), { found: true, refusal })).toEqual({ kind: 'deactivate', reason: refusal });
    },
  );

  it('deactivates an active account gone from the directory', () => {
    expect(decide(account(), { found: false })).toEqual({ kind: 'deactivate', reason: 'gone' });
  });

  it.each(['password-change-required', 'password-expired'] as const)(
    'keeps an account whose password is %s (fixed at the next sign-in)',
    (refusal) => {
      expect(decide(account(), { found: true, refusal })).toEqual({ kind: 'keep' });
    },
  );

  it('re-activates an account the sync deactivated once the directory allows it again', () => {
    expect(decide(account({ isActive: false, deactivatedBySync: true }), { found: true })).toEqual({
      kind: 'reactivate',
    });
  });

  it('leaves an account the sync deactivated alone while the directory still refuses it', () => {
    expect(
      decide(account({ isActive: false, deactivatedBySync: true }), { found: true, refusal: 'disabled' }),
    ).toEqual({ kind: 'keep' });
    expect(decide(account({ isActive: false, deactivatedBySync: true }), { found: false })).toEqual({
      kind: 'keep',
    });
  });

  it('deactivates an active account that left the allowed groups', () => {
    expect(decide(account(), { found: true, inAllowedGroups: false })).toEqual({
      kind: 'deactivate',
      reason: 'not-in-allowed-groups',
    });
    expect(decide(account(), { found: true, inAllowedGroups: true })).toEqual({ kind: 'keep' });
  });

  it('says disabled rather than not-in-allowed-groups when both hold', () => {
    expect(decide(account(), { found: true, refusal: 'disabled', inAllowedGroups: false })).toEqual({
      kind: 'deactivate',
      reason: 'disabled',
    });
  });

  it('re-activates an account the sync deactivated once it is back in an allowed group', () => {
    const left = account({ isActive: false, deactivatedBySync: true });
    expect(decide(left, { found: true, inAllowedGroups: false })).toEqual({ kind: 'keep' });
    expect(decide(left, { found: true, inAllowedGroups: true })).toEqual({ kind: 'reactivate' });
  });

  it('never re-activates an account an administrator disabled', () => {
    expect(decide(account({ isActive: false, deactivatedBySync: false }), { found: true })).toEqual({
      kind: 'keep',
    });
  });
});

describe(looksLikeAnEmptyAnswer.name, () => {
  const alice = account();
  const bob = account({ id: 'u2', externalId: 'guid-2' });

  it('is true when none of several active accounts was found', () => {
    expect(looksLikeAnEmptyAnswer([alice, bob], new Map())).toBe(true);
  });

  it('is false when one of them was found', () => {
    expect(looksLikeAnEmptyAnswer([alice, bob], new Map([['guid-2', { found: true }]]))).toBe(false);
  });

  it('is false for a single account (one person leaving is ordinary)', () => {
    expect(looksLikeAnEmptyAnswer([alice], new Map())).toBe(false);
  });
});

describe(looksLikeALostGroup.name, () => {
  const alice = account();
  const bob = account({ id: 'u2', externalId: 'guid-2' });
  const out: DirectoryAccountState = { found: true, inAllowedGroups: false };
  const inside: DirectoryAccountState = { found: true, inAllowedGroups: true };

  it('is true when every found active account is out of the allowed groups', () => {
    expect(
      looksLikeALostGroup(
        [alice, bob],
        new Map([
          ['guid-1', out],
          ['guid-2', out],
        ]),
      ),
    ).toBe(true);
  });

  it('is false when one of them is still in', () => {
    expect(
      looksLikeALostGroup(
        [alice, bob],
        new Map([
          ['guid-1', out],
          ['guid-2', inside],
        ]),
      ),
    ).toBe(false);
  });

  it('is false for a single leaver, or when no group was judged (no allowed groups)', () => {
    expect(looksLikeALostGroup([alice], new Map([['guid-1', out]]))).toBe(false);
    expect(
      looksLikeALostGroup(
        [alice, bob],
        new Map([
          ['guid-1', { found: true }],
          ['guid-2', { found: true }],
        ]),
      ),
    ).toBe(false);
  });

  it('ignores inactive accounts', () => {
    const inactive = account({ id: 'u3', externalId: 'guid-3', isActive: false });
    expect(
      looksLikeALostGroup(
        [alice, bob, inactive],
        new Map([
          ['guid-1', out],
          ['guid-2', inside],
          ['guid-3', out],
        ]),
      ),
    ).toBe(false);
  });
});
