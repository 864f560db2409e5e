import { formatScryptHash, parseScryptHash, ScryptPasswordHasher } from './scrypt-password-hasher';

describe(ScryptPasswordHasher.name, () => {
  const sut = new ScryptPasswordHasher();

  it('verifies the password it hashed and stores parameters and salt in the string', async () => {
    const encoded = await sut.hash('correct horse battery staple');

    expect(encoded).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(encoded).not.toContain('correct horse');
    await expect(sut.verify('correct horse battery staple', encoded)).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    const encoded = await sut.hash('correct horse battery staple');

    await expect(sut.verify('correct horse battery stapl', encoded)).resolves.toBe(false);
    await expect(sut.verify('', encoded)).resolves.toBe(false);
  });

  it('salts every hash, so one password never hashes to the same string twice', async () => {
    await expect(sut.hash('same password here')).resolves.not.toBe(await sut.hash('same password here'));
  });

  it('verifies a hash made with other parameters, read from the stored string', async () => {
    const cheaper = new ScryptPasswordHasher({ N: 1024, r: 8, p: 2 });
    const encoded = await cheaper.hash('another long password');

    expect(parseScryptHash(encoded)?.parameters).toEqual({ N: 1024, r: 8, p: 2 });
    await expect(sut.verify('another long password', encoded)).resolves.toBe(true);
  });

  it('never matches a malformed or hostile stored hash', async () => {
    await expect(sut.verify('x', 'plaintext-password')).resolves.toBe(false);
    await expect(sut.verify('x', '')).resolves.toBe(false);
    await expect(sut.verifyDummy('anything')).resolves.toBe(false);
  });

  it('spends real scrypt work on the dummy check', async () => {
    const spy = jest.spyOn(sut, 'verify');
    await sut.verifyDummy('anything');
    expect(spy).toHaveBeenCalledWith('anything', expect.stringMatching(/^scrypt\$/));
  });
});

describe(parseScryptHash.name, () => {
  const salt = Buffer.alloc(16, 1);
  const hash = Buffer.alloc(32, 2);

  it('round-trips with formatScryptHash', () => {
    const encoded = formatScryptHash({ parameters: { N: 16384, r: 8, p: 1 }, salt, hash });
    expect(parseScryptHash(encoded)).toEqual({ parameters: { N: 16384, r: 8, p: 1 }, salt, hash });
  });

  it.each([
    ['N not a power of two', `scrypt$N=1000,r=8,p=1$${salt.toString('base64')}$${hash.toString('base64')}`],
    [
      'N too large (memory)',
      `scrypt$N=4194304,r=8,p=1$${salt.toString('base64')}$${hash.toString('base64')}`,
    ],
    ['p zero', `scrypt$N=16384,r=8,p=0$${salt.toString('base64')}$${hash.toString('base64')}`],
    ['another algorithm', `bcrypt$N=16384,r=8,p=1$${salt.toString('base64')}$${hash.toString('base64')}`],
    ['a short salt', `scrypt$N=16384,r=8,p=1$AAAA$${hash.toString('base64')}`],
    ['missing hash', `scrypt$N=16384,r=8,p=1$${salt.toString('base64')}$`],
    [
      'parameters out of order',
      `scrypt$r=8,N=16384,p=1$${salt.toString('base64')}$${hash.toString('base64')}`,
    ],
  ])('refuses %s', (_case, encoded) => {
    expect(parseScryptHash(encoded)).toBeUndefined();
  });
});
