import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import type { AuditArchiveSummary, RetentionSetting } from '@flotilla/api-interfaces';

/** The audit trail's retention and archives (issue 11 item 6). */
@Injectable({ providedIn: 'root' })
export class AuditArchivesApi {
  private readonly http = inject(HttpClient);

  retention(): Promise<RetentionSetting> {
    return firstValueFrom(this.http.get<RetentionSetting>('/api/events/retention'));
  }

  setRetention(days: number): Promise<RetentionSetting> {
    return firstValueFrom(this.http.put<RetentionSetting>('/api/events/retention', { days }));
  }

  list(): Promise<{ items: AuditArchiveSummary[] }> {
    return firstValueFrom(this.http.get<{ items: AuditArchiveSummary[] }>('/api/events/archives'));
  }

  /** The .jsonl or its signed manifest as a Blob (the request carries the session's header). */
  download(day: string, manifest: boolean): Promise<Blob> {
    const path = `/api/events/archives/${encodeURIComponent(day)}${manifest ? '/manifest' : ''}`;
    return firstValueFrom(this.http.get(path, { responseType: 'blob' }));
  }

  delete(day: string): Promise<AuditArchiveSummary> {
    return firstValueFrom(
      this.http.delete<AuditArchiveSummary>(`/api/events/archives/${encodeURIComponent(day)}`),
    );
  }
}
