import { DirectoryProtocolError } from './directory-refusal';
import type { DirectorySearch } from './ldap-connection';
import { EntrySearcher, readRangedAttribute } from './ranged-attribute';

/** A fake server holding `count` members, answering `pageSize` per read the way AD does. */
function server(count: number, pageSize: number, tamper?: (key: string) => string) {
  const members = Array.from({ length: count }, (_, index) => `CN=user${index},DC=x`);
  const asked: string[] = [];
  const searcher: EntrySearcher = {
    search: (dn: string, search: DirectorySearch) => {
      const requested = search.attributes[0] ?? '';
      asked.push(requested);
      const start = Number(/range=(\d+)-/.exec(requested)?.[1]);
      const end = Math.min(start + pageSize, count) - 1;
      const last = end === count - 1;
      const key = tamper
        ? tamper(`member;range=${start}-${last ? '*' : end}`)
        : `member;range=${start}-${last ? '*' : end}`;
      return Promise.resolve({ entries: [{ dn, [key]: members.slice(start, end + 1) }], referrals: [] });
    },
  };
  return { searcher, asked, members };
}

describe(readRangedAttribute.name, () => {
  it('reads every value of a 5,000-member group in 1,500-value ranges', async () => {
    const { searcher, asked, members } = server(5000, 1500);
    expect(await readRangedAttribute(searcher, 'CN=big,DC=x', 'member')).toEqual(members);
    expect(asked).toEqual([
      'member;range=0-*',
      'member;range=1500-*',
      'member;range=3000-*',
      'member;range=4500-*',
    ]);
  });

  it('returns an attribute the server sent whole, and an empty one as no values', async () => {
    const whole: EntrySearcher = {
      search: (dn) => Promise.resolve({ entries: [{ dn, member: ['CN=a', 'CN=b'] }], referrals: [] }),
    };
    expect(await readRangedAttribute(whole, 'CN=g', 'member')).toEqual(['CN=a', 'CN=b']);
    const empty: EntrySearcher = { search: (dn) => Promise.resolve({ entries: [{ dn }], referrals: [] }) };
    expect(await readRangedAttribute(empty, 'CN=g', 'member')).toEqual([]);
  });

  it('fails rather than returning a short list when a range is skipped or short', async () => {
    const skipping = server(3000, 1500, (key) => key.replace('1500-*', '1600-*'));
    await expect(readRangedAttribute(skipping.searcher, 'CN=g', 'member')).rejects.toThrow(
      DirectoryProtocolError,
    );
    const short = server(3000, 1500, (key) => key.replace('0-1499', '0-1600'));
    await expect(readRangedAttribute(short.searcher, 'CN=g', 'member')).rejects.toThrow(/held 1500 values/);
  });
});
