export interface Environment {
  id: string;
  name: string;
  slug: string;
  description: string;
  sortOrder: number;
  /** ISO-8601 */
  createdAt: string;
}

export interface CreateEnvironmentRequest {
  name: string;
  description?: string;
}
