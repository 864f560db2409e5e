import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { EventPage, ListEventsQuery } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

import { queryParams } from '../core/query-params';

@Injectable({ providedIn: 'root' })
export class EventsApi {
  private readonly http = inject(HttpClient);

  list(query: ListEventsQuery): Promise<EventPage> {
    return firstValueFrom(this.http.get<EventPage>('/api/events', { params: queryParams(query) }));
  }
}
