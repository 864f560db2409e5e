import { MASK, secretMasker } from './secret-masking';

describe(secretMasker.name, () => {
  it('masks a value wherever it appears, the longest value first', () => {
    const mask = secretMasker(['pass', 'password123']);
    expect(mask('user password123 and pass')).toBe(`user ${MASK} and ${MASK}`);
  });

  it('masks each line of a multi-line value on its own, as output arrives line by line', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n  c2VjcmV0LWxpbmUtdHdv  \n-----END PRIVATE KEY-----';
    const mask = secretMasker([key]);
    expect(mask('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe(MASK);
    expect(mask('key: c2VjcmV0LWxpbmUtdHdv')).toBe(`key: ${MASK}`);
    expect(mask('-----END PRIVATE KEY-----')).toBe(MASK);
    expect(mask(`whole: ${key}`)).toBe(`whole: ${MASK}`);
  });

  it('masks the lines of a value with Windows line ends too', () => {
    expect(secretMasker(['first-line\r\nsecond-line'])('second-line')).toBe(MASK);
  });

  it('leaves lines of a multi-line value that are too short to give it away (a lone brace)', () => {
    const mask = secretMasker(['{\n  "key": "s3cr3t-value"\n}']);
    expect(mask('{ "ok": true }')).toBe('{ "ok": true }');
    expect(mask('  "key": "s3cr3t-value"')).toBe(`  ${MASK}`);
  });

  it('masks a short single-line value as before', () => {
    expect(secretMasker(['ab'])('xaby')).toBe(`x${MASK}y`);
  });

  it('changes nothing without values', () => {
    expect(secretMasker(['', ''])('text')).toBe('text');
  });
});
