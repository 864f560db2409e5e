import { adAccountRefusal, adBindRefusal, fileTimeToDate } from './account-state';

describe('AD account state', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  /** A FILETIME for a date, as AD stores accountExpires and lockoutTime. */
  const fileTime = (date: Date): string =>
    String(BigInt(date.getTime()) * 10_000n + 116_444_736_000_000_000n);
  const normal = {
    userAccountControl: '512',
    accountExpires: '9223372036854775807',
    pwdLastSet: '133000000000000000',
  };

  it('converts FILETIME ticks to dates', () => {
    expect(fileTimeToDate(BigInt(fileTime(now))).toISOString()).toBe(now.toISOString());
  });

  it('lets a normal account in (never-expiring as 0 or 0x7FFFFFFFFFFFFFFF)', () => {
    expect(adAccountRefusal(normal, now)).toBeUndefined();
    expect(adAccountRefusal({ ...normal, accountExpires: '0', lockoutTime: '0' }, now)).toBeUndefined();
  });

  it('refuses a disabled account (userAccountControl 0x2)', () => {
    expect(adAccountRefusal({ ...normal, userAccountControl: String(512 | 2) }, now)).toBe('disabled');
  });

  it('refuses a locked account: the computed flag when the directory gives it, else any lockoutTime', () => {
    const lockedAt = fileTime(new Date(now.getTime() - 60_000));
    expect(
      adAccountRefusal({ ...normal, 'msDS-User-Account-Control-Computed': '16', lockoutTime: lockedAt }, now),
    ).toBe('locked');
    // The lockout duration has passed: AD leaves lockoutTime set but the computed flag clear.
    expect(
      adAccountRefusal({ ...normal, 'msDS-User-Account-Control-Computed': '0', lockoutTime: lockedAt }, now),
    ).toBeUndefined();
    expect(adAccountRefusal({ ...normal, lockoutTime: lockedAt }, now)).toBe('locked');
  });

  it('refuses an account whose accountExpires has passed, not one that expires later', () => {
    expect(adAccountRefusal({ ...normal, accountExpires: fileTime(new Date(now.getTime() - 1)) }, now)).toBe(
      'expired',
    );
    expect(
      adAccountRefusal({ ...normal, accountExpires: fileTime(new Date(now.getTime() + 86_400_000)) }, now),
    ).toBeUndefined();
  });

  it('refuses an account that must change its password (pwdLastSet 0) or whose password expired', () => {
    expect(adAccountRefusal({ ...normal, pwdLastSet: '0' }, now)).toBe('password-change-required');
    expect(adAccountRefusal({ ...normal, 'msDS-User-Account-Control-Computed': String(0x800000) }, now)).toBe(
      'password-expired',
    );
  });

  it('names disabled before the other states (the one an administrator must lift first)', () => {
    expect(adAccountRefusal({ userAccountControl: '514', lockoutTime: '1', pwdLastSet: '0' }, now)).toBe(
      'disabled',
    );
  });

  it("maps AD's bind error data codes; a wrong name or password stays generic", () => {
    const message = (code: string): string =>
      `80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data ${code}, v4563`;
    expect(adBindRefusal(message('533'))).toBe('disabled');
    expect(adBindRefusal(message('775'))).toBe('locked');
    expect(adBindRefusal(message('701'))).toBe('expired');
    expect(adBindRefusal(message('773'))).toBe('password-change-required');
    expect(adBindRefusal(message('532'))).toBe('password-expired');
    expect(adBindRefusal(message('530'))).toBe('logon-restricted');
    expect(adBindRefusal(message('52e'))).toBeUndefined();
    expect(adBindRefusal(message('525'))).toBeUndefined();
    expect(adBindRefusal('Invalid credentials')).toBeUndefined();
  });
});
