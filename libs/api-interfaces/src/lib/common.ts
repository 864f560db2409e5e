/** A whole collection (small lists: projects, environments, users, API keys, releases, deployments, nodes). */
export interface ItemList<T> {
  items: T[];
}

/** One page of a larger collection; `total` counts every match, not just this page. */
export interface PagedList<T> {
  items: T[];
  total: number;
}

/** Paging query shared by list routes: skip (default 0) and take (default and cap chosen by the service). */
export interface PageQuery {
  skip?: number;
  take?: number;
}

/** Every error response of the REST API. */
export interface ApiError {
  statusCode: number;
  /** The HTTP reason phrase, e.g. "Not Found". */
  error: string;
  /** Human-readable; for validation errors, one message per problem. */
  message: string | string[];
}
