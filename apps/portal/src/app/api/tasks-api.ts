import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ListTasksQuery, PagedList, ServerTask, TaskLog, TaskLogQuery } from '@flotilla/api-interfaces';
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

  /** EventSource cannot send headers, so the token travels in the query string. */
  logStreamUrl(taskId: string, token: string): string {
    return `/api/tasks/${encodeURIComponent(taskId)}/log/stream?access_token=${encodeURIComponent(token)}`;
  }
}
