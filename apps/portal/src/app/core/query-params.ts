import { HttpParams } from '@angular/common/http';

type QueryValue = string | number | boolean | undefined | null;

/** HttpParams from a query object, leaving out empty values so the API applies its defaults. */
export function queryParams(query: object): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query as Record<string, QueryValue>)) {
    if (value === undefined || value === null || value === '') continue;
    params = params.set(key, String(value));
  }
  return params;
}
