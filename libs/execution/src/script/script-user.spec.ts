import { AccountCommands, resolveScriptIdentity } from './script-user';

/** An account database in memory: the decisions are under test here, not useradd itself. */
class Accounts implements AccountCommands {
  readonly users = new Map<string, { uid: number; gid: number }>();
  created: string[] = [];
  failCreate: Error | undefined;
  lookUp(user: string) {
    return Promise.resolve(this.users.get(user));
  }
  create(user: string) {
    if (this.failCreate) return Promise.reject(this.failCreate);
    this.created.push(user);
    this.users.set(user, { uid: 990, gid: 990 });
    return Promise.resolve();
  }
}

describe(resolveScriptIdentity.name, () => {
  it('as root, uses the user when it exists', async () => {
    const accounts = new Accounts();
    accounts.users.set('flotilla-script', { uid: 999, gid: 995 });
    await expect(resolveScriptIdentity('flotilla-script', accounts, 0)).resolves.toEqual({
      fenced: true,
      user: 'flotilla-script',
      uid: 999,
      gid: 995,
      created: false,
    });
    expect(accounts.created).toEqual([]);
  });

  it('as root, creates the user when it does not exist', async () => {
    const accounts = new Accounts();
    await expect(resolveScriptIdentity('deployer', accounts, 0)).resolves.toMatchObject({
      fenced: true,
      user: 'deployer',
      uid: 990,
      created: true,
    });
    expect(accounts.created).toEqual(['deployer']);
  });

  it('takes a user another executor created meanwhile', async () => {
    const accounts = new Accounts();
    accounts.failCreate = new Error('useradd: user already exists');
    accounts.lookUp = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValue({ uid: 991, gid: 991 });
    await expect(resolveScriptIdentity('flotilla-script', accounts, 0)).resolves.toMatchObject({ uid: 991 });
  });

  it('fails when the user cannot be created', async () => {
    const accounts = new Accounts();
    accounts.failCreate = new Error('useradd: not found');
    await expect(resolveScriptIdentity('flotilla-script', accounts, 0)).rejects.toThrow('useradd: not found');
  });

  it('refuses a script user that is root, or a name that is not a user name', async () => {
    const accounts = new Accounts();
    accounts.users.set('toor', { uid: 0, gid: 0 });
    await expect(resolveScriptIdentity('toor', accounts, 0)).rejects.toThrow('scripts must run unprivileged');
    await expect(resolveScriptIdentity('x; rm -rf /', accounts, 0)).rejects.toThrow('not a valid user name');
  });

  it('not as root: scripts run as the executor user, and it says they are not fenced', async () => {
    const identity = await resolveScriptIdentity('flotilla-script', new Accounts(), 1000);
    expect(identity).toMatchObject({ fenced: false, uid: 1000 });
    expect(identity.fenced === false && identity.reason).toMatch(/not root.*NOT fenced/);
  });
});
