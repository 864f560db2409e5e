import { decodeGuid } from '../directory/directory-ids';

import { anyIdFilter, encodeGuid } from './object-guid-filter';

describe(encodeGuid.name, () => {
  const guid = '01234567-89ab-cdef-0123-456789abcdef';

  it('lays the first three fields out little-endian, as AD stores objectGUID', () => {
    expect(encodeGuid(guid).toString('hex')).toBe('67452301ab89efcd0123456789abcdef');
  });

  it('is the inverse of decodeGuid', () => {
    expect(decodeGuid(encodeGuid(guid))).toBe(guid);
  });

  it('refuses what is not a GUID', () => {
    expect(() => encodeGuid('not-a-guid')).toThrow(/Not a GUID/);
  });
});

describe(anyIdFilter.name, () => {
  it('ORs the binary GUIDs, escaped in the text form', () => {
    const text = anyIdFilter('objectGUID', ['01234567-89ab-cdef-0123-456789abcdef']).toString();
    expect(text).toBe('(|(objectGUID=\\67\\45\\23\\01\\ab\\89\\ef\\cd\\01\\23\\45\\67\\89\\ab\\cd\\ef))');
  });

  it('keeps entryUUID values as text', () => {
    expect(anyIdFilter('entryUUID', ['a', 'b']).toString()).toBe('(|(entryUUID=a)(entryUUID=b))');
  });
});
