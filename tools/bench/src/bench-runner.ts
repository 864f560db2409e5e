import { UsageError } from './bench-options';
import { progress } from './report';

interface Held {
  what: string;
  /** Settles once the start has; resolves to the stop to run, or undefined when the start failed. */
  stopper: Promise<(() => Promise<void>) | undefined>;
  started: Promise<unknown>;
}

/**
 * Everything a benchmark started, stopped in reverse order at the end, on an error or on Ctrl-C.
 * A resource is registered while it is still starting, so a Ctrl-C during a slow cluster start
 * waits for that start to settle and then stops what it started.
 */
export class Teardown {
  private readonly held: Held[] = [];

  /** Registers a starting resource and resolves to it once started. */
  use<T>(what: string, starting: Promise<T>, stop: (started: T) => Promise<void>): Promise<T> {
    this.held.push({
      what,
      started: starting,
      stopper: starting.then(
        (started) => () => stop(started),
        // A start that failed has cleaned up after itself (or had nothing to clean).
        () => undefined,
      ),
    });
    return starting;
  }

  /** Stops one resource early (e.g. one cluster before the next starts). */
  async release(resource: unknown): Promise<void> {
    for (const held of this.held) {
      if ((await held.started.catch(() => undefined)) !== resource) continue;
      this.held.splice(this.held.indexOf(held), 1);
      await this.stopOne(held);
      return;
    }
  }

  /** Stops everything still held, newest first; failures are reported, not thrown. */
  async releaseAll(): Promise<void> {
    for (const held of this.held.splice(0).reverse()) await this.stopOne(held);
  }

  private async stopOne(held: Held): Promise<void> {
    try {
      const stop = await held.stopper;
      if (stop) {
        progress(`stopping ${held.what}`);
        await stop();
      }
    } catch (error) {
      progress(`could not stop ${held.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Exit codes: 0 every target met, 1 the benchmark failed to run, 2 it ran but missed a target. */
export const EXIT_TARGET_MISSED = 2;

/**
 * Runs a benchmark's main, then stops whatever it started: on success, on error, and on
 * SIGINT/SIGTERM (a second Ctrl-C abandons the clean-up). `main` resolves to whether every
 * target was met.
 */
export function runBenchmark(main: (teardown: Teardown) => Promise<boolean>): void {
  const teardown = new Teardown();
  let finishing: Promise<void> | undefined;
  const finish = (exitCode: number): Promise<void> =>
    (finishing ??= teardown.releaseAll().then(() => process.exit(exitCode)));

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      progress(`${signal} again: exiting without finishing the clean-up`);
      process.exit(130);
    }
    interrupted = true;
    progress(`${signal}: stopping everything the benchmark started (Ctrl-C again to abandon)`);
    void finish(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  main(teardown).then(
    (allPassed) => finish(allPassed ? 0 : EXIT_TARGET_MISSED),
    (error: unknown) => {
      // After a signal the cluster going away makes main fail; that is not the error to show.
      if (error instanceof UsageError) console.error(error.message);
      else if (!interrupted) console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      return finish(1);
    },
  );
}
