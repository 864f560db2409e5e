import { DatabaseReachability } from './database-reachability';

describe(DatabaseReachability.name, () => {
  let now: number;
  let sut: DatabaseReachability;

  beforeEach(() => {
    now = 1_000;
    sut = new DatabaseReachability(30_000, () => now);
  });

  it('holds a fresh replica back until it has reached the database for a whole timeout', () => {
    expect(sut.remainingMs()).toBeUndefined();

    expect(sut.reached()).toBe(true);
    expect(sut.remainingMs()).toBe(30_000);
    now += 29_999;
    expect(sut.reached()).toBe(false);
    expect(sut.remainingMs()).toBe(1);
    now += 1;
    expect(sut.remainingMs()).toBe(0);
    now += 60_000;
    expect(sut.remainingMs()).toBe(0);
  });

  it('starts the wait over after a failed round trip, however long it had been reachable', () => {
    sut.reached();
    now += 120_000;
    expect(sut.remainingMs()).toBe(0);

    expect(sut.lost()).toBe(true);
    expect(sut.remainingMs()).toBeUndefined();
    now += 5_000;
    expect(sut.lost()).toBe(false);
    expect(sut.remainingMs()).toBeUndefined();

    expect(sut.reached()).toBe(true);
    now += 10_000;
    expect(sut.remainingMs()).toBe(20_000);
  });

  it('counts a stretch from its first success, not from later ones', () => {
    sut.reached();
    now += 10_000;
    sut.reached();
    now += 20_000;

    expect(sut.remainingMs()).toBe(0);
  });
});
