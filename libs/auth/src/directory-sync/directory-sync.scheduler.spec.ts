import { DirectorySyncScheduler, leaseTtlMs, tickPeriodMs } from './directory-sync.scheduler';
import type { DirectorySyncService } from './directory-sync.service';

describe('directory sync timing', () => {
  it('ticks a tenth of the interval, between 1 s and 30 s', () => {
    expect(tickPeriodMs(300_000)).toBe(30_000);
    expect(tickPeriodMs(60_000)).toBe(6000);
    expect(tickPeriodMs(3000)).toBe(1000);
    expect(tickPeriodMs(86_400_000)).toBe(30_000);
  });

  it('holds the lease for the interval less half a tick, so a due run is at most half a tick late', () => {
    expect(leaseTtlMs(300_000)).toBe(285_000);
    expect(leaseTtlMs(60_000)).toBe(57_000);
  });
});

describe(DirectorySyncScheduler.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ticks every period and never starts a tick while the previous one runs', async () => {
    let release: () => void = () => undefined;
    const tick = jest.fn(
      () =>
        new Promise<'succeeded'>((resolve) => {
          release = () => resolve('succeeded');
        }),
    );
    const scheduler = new DirectorySyncScheduler({ tick } as unknown as DirectorySyncService, 10_000);
    scheduler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(3000);
    expect(tick).toHaveBeenCalledTimes(1);
    release();
    await jest.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(2);
    release();
    await scheduler.onApplicationShutdown();
  });
});
