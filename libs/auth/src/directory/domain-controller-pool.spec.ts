import { DirectoryUnavailableError } from './directory-refusal';
import { DomainControllerPool, PooledConnection } from './domain-controller-pool';

class AnswerError extends Error {}

describe(DomainControllerPool.name, () => {
  let clock = 0;
  let down: Set<string>;
  let opened: string[];

  function pool(urls = ['ldaps://dc1', 'ldaps://dc2', 'ldaps://dc3'], cooldownMs = 60_000) {
    return new DomainControllerPool<PooledConnection>({
      urls,
      cooldownMs,
      now: () => clock,
      isAnswer: (error) => error instanceof AnswerError,
      open: (url) => {
        opened.push(url);
        if (down.has(url)) return Promise.reject(new Error(`${url} timed out`));
        return Promise.resolve({ url, close: () => Promise.resolve() });
      },
    });
  }

  beforeEach(() => {
    clock = 1_000_000;
    down = new Set();
    opened = [];
  });

  it('uses the first controller when it answers', async () => {
    expect((await pool().connect()).url).toBe('ldaps://dc1');
    expect(opened).toEqual(['ldaps://dc1']);
  });

  it('fails over in order and skips a dead controller for the cool-down', async () => {
    down.add('ldaps://dc1');
    const sut = pool();
    expect((await sut.connect()).url).toBe('ldaps://dc2');
    expect(opened).toEqual(['ldaps://dc1', 'ldaps://dc2']);

    opened = [];
    clock += 59_999;
    expect((await sut.connect()).url).toBe('ldaps://dc2');
    expect(opened).toEqual(['ldaps://dc2']);
    expect(sut.state()[0]).toEqual({ url: 'ldaps://dc1', coolingUntil: new Date(1_060_000) });
  });

  it('tries a controller again once its cool-down is over, and forgets it on success', async () => {
    down.add('ldaps://dc1');
    const sut = pool();
    await sut.connect();
    down.clear();
    clock += 60_000;
    opened = [];
    expect((await sut.connect()).url).toBe('ldaps://dc1');
    expect(sut.state()).toEqual([{ url: 'ldaps://dc1' }, { url: 'ldaps://dc2' }, { url: 'ldaps://dc3' }]);
  });

  it('names every failure when no controller answers', async () => {
    for (const url of ['ldaps://dc1', 'ldaps://dc2']) down.add(url);
    const failure = await pool(['ldaps://dc1', 'ldaps://dc2'])
      .connect()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DirectoryUnavailableError);
    expect((failure as Error).message).toBe(
      'No domain controller answered: ldaps://dc1 (ldaps://dc1 timed out); ldaps://dc2 (ldaps://dc2 timed out)',
    );
  });

  it('when every controller cools down, tries only the one whose cool-down ends first', async () => {
    down.add('ldaps://dc1');
    down.add('ldaps://dc2');
    const sut = pool(['ldaps://dc1', 'ldaps://dc2']);
    await expect(sut.connect()).rejects.toThrow(DirectoryUnavailableError);
    clock += 10;
    down.delete('ldaps://dc1');
    opened = [];
    expect((await sut.connect()).url).toBe('ldaps://dc1');
    expect(opened).toEqual(['ldaps://dc1']);
  });

  it("does not fail over on the directory's own answer (the search account refused)", async () => {
    const sut = new DomainControllerPool<PooledConnection>({
      urls: ['ldaps://dc1', 'ldaps://dc2'],
      cooldownMs: 1000,
      isAnswer: (error) => error instanceof AnswerError,
      open: (url) => {
        opened.push(url);
        return Promise.reject(new AnswerError('invalid credentials'));
      },
    });
    await expect(sut.connect()).rejects.toThrow(AnswerError);
    expect(opened).toEqual(['ldaps://dc1']);
    expect(sut.state()).toEqual([{ url: 'ldaps://dc1' }, { url: 'ldaps://dc2' }]);
  });

  it('cools down a controller that stopped answering mid-sign-in', async () => {
    const sut = pool();
    sut.markUnreachable('ldaps://dc1', 'socket closed');
    expect((await sut.connect()).url).toBe('ldaps://dc2');
  });
});
