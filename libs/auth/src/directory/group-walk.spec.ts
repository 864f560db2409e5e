import { DirectoryProtocolError } from './directory-refusal';
import { walkGroups, WALK_BATCH } from './group-walk';

/** A directory as "member DN -> groups listing it". */
function directory(memberships: Record<string, string[]>) {
  const asked: string[][] = [];
  const groupsListing = (dns: readonly string[]) => {
    asked.push([...dns]);
    const hits = new Set(dns.flatMap((dn) => memberships[dn] ?? []));
    return Promise.resolve([...hits].map((dn) => ({ dn, group: dn })));
  };
  return { groupsListing, asked };
}

describe(walkGroups.name, () => {
  it('finds direct and nested groups, level by level', async () => {
    const { groupsListing, asked } = directory({ user: ['g1', 'x'], g1: ['g2'], g2: ['g3'] });
    expect((await walkGroups('user', 10, groupsListing)).sort()).toEqual(['g1', 'g2', 'g3', 'x']);
    expect(asked).toEqual([['user'], ['g1', 'x'], ['g2'], ['g3']]);
  });

  it('ends on a cycle, counting each group once', async () => {
    const { groupsListing } = directory({ user: ['a'], a: ['b'], b: ['a', 'c'], c: ['A'] });
    expect((await walkGroups('user', 10, groupsListing)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('fails, rather than cutting the list short, past the depth limit', async () => {
    const chain = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [i === 0 ? 'user' : `g${i}`, [`g${i + 1}`]]),
    );
    await expect(walkGroups('user', 3, directory(chain).groupsListing)).rejects.toThrow(
      DirectoryProtocolError,
    );
    expect(await walkGroups('user', 6, directory(chain).groupsListing)).toHaveLength(5);
  });

  it('completes a chain exactly as deep as the limit, and fails one level deeper', async () => {
    const chain = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [i === 0 ? 'user' : `g${i}`, [`g${i + 1}`]]),
    );
    expect(await walkGroups('user', 5, directory(chain).groupsListing)).toHaveLength(5);
    await expect(walkGroups('user', 4, directory(chain).groupsListing)).rejects.toThrow(
      'nest deeper than 4 levels',
    );
  });

  it('is not "too deep" when the level past the limit only leads back to groups already seen', async () => {
    const { groupsListing } = directory({ user: ['a'], a: ['b'], b: ['a'] });
    expect((await walkGroups('user', 2, groupsListing)).sort()).toEqual(['a', 'b']);
  });

  it('asks for a wide level in batches', async () => {
    const wide = Array.from({ length: WALK_BATCH + 1 }, (_, i) => `g${i}`);
    const { groupsListing, asked } = directory({ user: wide });
    expect(await walkGroups('user', 5, groupsListing)).toHaveLength(WALK_BATCH + 1);
    expect(asked.map((batch) => batch.length)).toEqual([1, WALK_BATCH, 1]);
  });
});
