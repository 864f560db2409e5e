import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, Subscription } from 'rxjs';

import { TaskLogStreamEvent } from '@flotilla/api-interfaces';
import { executorV1 } from '@flotilla/contracts';

import { asError } from '../common/as-error';
import { apiErrorOf } from '../errors/http-error.filter';
import { toTaskLogLine } from './task-mapping';

export const SSE_HEARTBEAT_MS = 15_000;
/** If the executor has nothing yet, open the stream anyway so the browser shows it as connected. */
const OPEN_WITHOUT_DATA_MS = 1_000;

/**
 * Relays FollowTaskLog as server-sent events. Headers wait for the first answer, so an unknown
 * task still gets a proper 404; once streaming, a disconnect cancels the gRPC call.
 */
@Injectable()
export class TaskLogStreamer implements BeforeApplicationShutdown {
  heartbeatMs = SSE_HEARTBEAT_MS;
  /** Open streams, ended at shutdown so the HTTP server can close; clients resume via Last-Event-ID. */
  private readonly open = new Set<Response>();

  beforeApplicationShutdown(): void {
    this.open.forEach((response) => response.end());
  }

  stream(follow: Observable<executorV1.TaskLogChunk>, response: Response): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      let finished = false;
      // Added to after the fact, so a synchronous finish still unsubscribes what comes later.
      const subscription = new Subscription();
      const start = (): void => {
        if (started || finished) return;
        started = true;
        response.status(200);
        response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        response.setHeader('Cache-Control', 'no-cache, no-transform');
        response.setHeader('Connection', 'keep-alive');
        // Reverse proxies must not buffer the stream.
        response.setHeader('X-Accel-Buffering', 'no');
        response.flushHeaders();
      };
      const heartbeat = setInterval(() => {
        start();
        response.write(': heartbeat\n\n');
      }, this.heartbeatMs);
      const openTimer = setTimeout(start, OPEN_WITHOUT_DATA_MS);
      this.open.add(response);
      const finish = (): void => {
        if (finished) return;
        finished = true;
        this.open.delete(response);
        clearInterval(heartbeat);
        clearTimeout(openTimer);
        // Unsubscribing from Nest's stream cancels the gRPC call if it is still running.
        subscription.unsubscribe();
        resolve();
      };
      response.on('close', finish);
      subscription.add(
        follow.subscribe({
          next: (chunk) => {
            start();
            chunk.lines.forEach((line, index) => {
              // The last line of a chunk carries the resume offset, so EventSource's Last-Event-ID works.
              const id = index === chunk.lines.length - 1 ? `id: ${chunk.nextOffset}\n` : '';
              response.write(
                `event: ${TaskLogStreamEvent.Line}\n${id}data: ${JSON.stringify(toTaskLogLine(line))}\n\n`,
              );
            });
            if (chunk.complete) {
              response.end(`event: ${TaskLogStreamEvent.Complete}\ndata: {}\n\n`);
              finish();
            }
          },
          error: (error: unknown) => {
            if (!started) {
              finished = true;
              clearInterval(heartbeat);
              clearTimeout(openTimer);
              reject(asError(error));
              return;
            }
            response.end(`event: error\ndata: ${JSON.stringify(apiErrorOf(error))}\n\n`);
            finish();
          },
          complete: () => {
            // Ended without the final chunk (e.g. the executor is stopping): the client reconnects and resumes.
            start();
            response.end();
            finish();
          },
        }),
      );
    });
  }
}

/** The offset to resume from: the query's, else EventSource's Last-Event-ID, else the start. */
export function resumeOffset(queryOffset: number | undefined, lastEventId: string | undefined): number {
  if (queryOffset !== undefined) return queryOffset;
  const parsed = Number(lastEventId);
  return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : 0;
}
