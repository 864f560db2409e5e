import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ListEventsQuery, TrailVerification } from '@flotilla/api-interfaces';
import { firstValueFrom } from 'rxjs';

import { queryParams } from '../core/query-params';

export type ExportFormat = 'csv' | 'jsonl';

/** The audit page's calls beyond the list: the trail's verification and exports. */
@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly http = inject(HttpClient);

  verification(): Promise<TrailVerification> {
    return firstValueFrom(this.http.get<TrailVerification>('/api/events/verification'));
  }

  /**
   * The URL that downloads the filter's export once, within 30 s. It carries a single-use export
   * ticket (minted here with the session's Authorization header), never the session token: a URL
   * ends up in history and proxy logs. The browser fetches it as a download, straight to disk, so
   * an export of any size never sits in the page's memory.
   */
  async exportUrl(filter: ListEventsQuery, format: ExportFormat): Promise<string> {
    const { ticket } = await firstValueFrom(
      this.http.post<{ ticket: string; expiresAt: string }>('/api/events/export-tickets', {}),
    );
    const { take: _take, after: _after, ...filters } = filter;
    const params = queryParams({ ...filters, format, ticket });
    return `/api/events/export?${params.toString()}`;
  }
}

/** Starts a download of `url` the way a link with `download` does (Content-Disposition names it). */
export function startDownload(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
}
