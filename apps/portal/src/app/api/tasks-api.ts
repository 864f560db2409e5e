import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  ListTasksQuery,
  PagedList,
  ServerTask,
  TaskLog,
  TaskLogQuery,
  TaskLogStreamTicket,
} from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

import { queryParams } from '../core/query-params';

@Injectable({ providedIn: 'root' })
export class TasksApi {
  private readonly http = inject(HttpClient);

  list(query: ListTasksQuery): Promise<PagedList<ServerTask>> {
    return firstValueFrom(this.http.get<PagedList<ServerTask>>('/api/tasks', { params: queryParams(query) }));
  }

  get(taskId: string): Promise<ServerTask> {
    return firstValueFrom(this.http.get<ServerTask>(`/api/tasks/${encodeURIComponent(taskId)}`));
  }

  cancel(taskId: string): Promise<unknown> {
    return firstValueFrom(this.http.post<unknown>(`/api/tasks/${encodeURIComponent(taskId)}/cancel`, {}));
  }

  log(taskId: string, query: TaskLogQuery = {}): Promise<TaskLog> {
    return firstValueFrom(
      this.http.get<TaskLog>(`/api/tasks/${encodeURIComponent(taskId)}/log`, { params: queryParams(query) }),
    );
  }

  /**
   * EventSource cannot send the Authorization header, and the session token must never be in a
   * URL: each stream opens with a fresh single-use ticket (valid 30 s) minted here.
   */
  streamTicket(taskId: string): Promise<TaskLogStreamTicket> {
    return firstValueFrom(
      this.http.post<TaskLogStreamTicket>(`/api/tasks/${encodeURIComponent(taskId)}/log/stream-tickets`, {}),
    );
  }

  logStreamUrl(taskId: string, ticket: string): string {
    return `/api/tasks/${encodeURIComponent(taskId)}/log/stream?ticket=${encodeURIComponent(ticket)}`;
  }
}
