import { decodeGuid, decodeSid, encodeSid, sidInDomain } from './directory-ids';

describe('directory ids', () => {
  // A domain user's SID as AD returns it: S-1-5-21-1004336348-1177238915-682003330-1105.
  const userSidHex = '010500000000000515000000dcf4dc3b833d2b46828ba62851040000';

  it('decodes a binary SID to its S-1-5-... text', () => {
    expect(decodeSid(Buffer.from(userSidHex, 'hex'))).toBe('S-1-5-21-1004336348-1177238915-682003330-1105');
    // Well-known, no sub-authority beyond one: Everyone.
    expect(decodeSid(Buffer.from('010100000000000100000000', 'hex'))).toBe('S-1-1-0');
  });

  it('encodes a text SID back to the same bytes (objectSid search filters)', () => {
    const sid = 'S-1-5-21-1004336348-1177238915-682003330-1105';
    expect(encodeSid(sid).toString('hex')).toBe(userSidHex);
    expect(decodeSid(encodeSid('S-1-5-32-544'))).toBe('S-1-5-32-544');
    expect(() => encodeSid('S-1-x')).toThrow(/not a SID/);
  });

  it('refuses a SID whose length does not match its sub-authority count', () => {
    expect(() => decodeSid(Buffer.from(userSidHex.slice(0, -8), 'hex'))).toThrow(/is 28 bytes, got 24/);
    expect(() => decodeSid(Buffer.alloc(3))).toThrow(/at least 8 bytes/);
  });

  it('builds a primary group SID from the domain SID and the RID', () => {
    expect(sidInDomain('S-1-5-21-1-2-3', 513)).toBe('S-1-5-21-1-2-3-513');
  });

  it('decodes objectGUID in the mixed-endian canonical form AD shows', () => {
    // {3f2504e0-4f89-11d3-9a0c-0305e82c3301} is stored as e004253f 894f d311 9a0c 0305e82c3301.
    expect(decodeGuid(Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex'))).toBe(
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    );
    expect(() => decodeGuid(Buffer.alloc(15))).toThrow(/16 bytes/);
  });
});
