import { currentPerfMap } from './security-one-node-perf';

describe('currentPerfMap', () => {
  it('keeps the newest entry where code ranges overlap, and every entry that overlaps none', () => {
    const map = [
      '1000 100 JS:*startUpOnly loader.js:1',
      '2000 50 JS:*stillThere a.js:2',
      '1080 40 JS:*reusedSpace b.js:3', // overlaps the first: written later, so it holds
      '1000 10 JS:*newest c.js:4', // written last: holds beside the one above
      '',
    ].join('\n');
    expect(currentPerfMap(map).trim().split('\n')).toEqual([
      '1000 10 JS:*newest c.js:4',
      '1080 40 JS:*reusedSpace b.js:3',
      '2000 50 JS:*stillThere a.js:2',
    ]);
  });

  it('skips lines that are not entries', () => {
    expect(currentPerfMap('garbage\n10 5 JS:*f x.js:1\n')).toBe('10 5 JS:*f x.js:1\n');
  });
});
