import { signInAccountName } from './sign-in-name';

describe(signInAccountName.name, () => {
  it.each([
    ['jdoe', 'jdoe'],
    ['  JDoe ', 'jdoe'],
    ['FLOTILLA\\JDoe', 'jdoe'],
    ['flotilla.test\\jdoe', 'jdoe'],
    ['JDoe@Flotilla.Test', 'jdoe'],
    ['FLOTILLA\\jdoe@flotilla.test', 'jdoe'],
    ['ＪＤｏｅ', 'jdoe'],
    ['@jdoe', '@jdoe'],
    ['Zoë.Ölund', 'zoë.ölund'],
  ])('reads %j as the account name %j', (typed, expected) => {
    expect(signInAccountName(typed)).toBe(expected);
  });

  it('bounds what it reads from a hostile name', () => {
    expect(signInAccountName('x'.repeat(100_000)).length).toBe(256);
  });
});
