export interface ReleasePackage {
  stepName: string;
  packageId: string;
  version: string;
}

export interface Release {
  id: string;
  projectId: string;
  version: string;
  notes: string;
  packages: ReleasePackage[];
  processVersion: number;
  /** ISO-8601 */
  createdAt: string;
}

export interface CreateReleaseRequest {
  version: string;
  notes?: string;
  packages?: ReleasePackage[];
}
