import { buildTarGz, buildZip } from '@flotilla/testing';

import { hasArchiveSignature } from './archive-signature';

describe(hasArchiveSignature.name, () => {
  const zip = buildZip([{ name: 'index.html', content: '<h1>hi</h1>' }]);
  const emptyZip = buildZip([]);
  const tarGz = buildTarGz([{ name: 'run.sh', content: 'echo hi\n' }]);

  it('recognises real zips, including an empty one, and real tar.gz files', () => {
    expect(hasArchiveSignature('zip', zip)).toBe(true);
    expect(hasArchiveSignature('zip', emptyZip)).toBe(true);
    expect(hasArchiveSignature('tar.gz', tarGz)).toBe(true);
  });

  it('refuses an archive whose format does not match the extension', () => {
    expect(hasArchiveSignature('zip', tarGz)).toBe(false);
    expect(hasArchiveSignature('tar.gz', zip)).toBe(false);
  });

  it.each([
    ['text', Buffer.from('hello, not an archive')],
    ['a truncated zip header', Buffer.from([0x50, 0x4b, 0x03])],
    ['a single gzip byte', Buffer.from([0x1f])],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_label, head) => {
    expect(hasArchiveSignature('zip', head)).toBe(false);
    expect(hasArchiveSignature('tar.gz', head)).toBe(false);
  });

  it('reads a view into a larger buffer from its own offset', () => {
    const padded = Buffer.concat([Buffer.from('xx'), zip]);
    expect(hasArchiveSignature('zip', padded.subarray(2))).toBe(true);
  });
});
