import { HttpClient, HttpEvent } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ListPackagesQuery, Package, PagedList } from '@flotilla/api-interfaces';
import { firstValueFrom, Observable } from 'rxjs';

import { queryParams } from '../core/query-params';

@Injectable({ providedIn: 'root' })
export class PackagesApi {
  private readonly http = inject(HttpClient);

  list(query: ListPackagesQuery): Promise<PagedList<Package>> {
    return firstValueFrom(this.http.get<PagedList<Package>>('/api/packages', { params: queryParams(query) }));
  }

  /** Multipart upload (field `file`); the events carry upload progress, the last one the Package. */
  upload(file: File): Observable<HttpEvent<Package>> {
    const body = new FormData();
    body.append('file', file, file.name);
    return this.http.post<Package>('/api/packages', body, { reportProgress: true, observe: 'events' });
  }
}
