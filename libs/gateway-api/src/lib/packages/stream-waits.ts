import type { EventEmitter } from 'node:events';

/** Resolves on the first of these events, removing every listener it added. */
export function firstEvent(emitter: EventEmitter, events: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    const handlers = events.map((event) => {
      const handler = (): void => {
        handlers.forEach(([name, fn]) => emitter.off(name, fn));
        resolve(event);
      };
      emitter.on(event, handler);
      return [event, handler] as const;
    });
  });
}
