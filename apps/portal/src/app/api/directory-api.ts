import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { firstValueFrom } from 'rxjs';

/** GET /api/directory/sync: the directory sync's last run (auth.proto DirectorySyncStatus). Times ISO-8601, '' when never. */
export interface DirectorySyncStatus {
  configured: boolean;
  lastAttemptAt: string;
  lastSuccessAt: string;
  lastFailureAt: string;
  lastFailureReason: string;
  directoryReachable: boolean;
  usersChecked: number;
  usersDeactivated: number;
  usersReactivated: number;
  ranOn: string;
  intervalMs: number;
  /** The groups teams name that the last pass refreshed, and the rows it added / removed. */
  teamGroupsChecked: number;
  groupMembershipsAdded: number;
  groupMembershipsRemoved: number;
  /** Why the last pass left team groups as they were (accounts were still synced); '' when refreshed. */
  teamGroupsFailureReason: string;
}

/** One step against one domain controller (connect, bind, a search) and its time. */
export interface DirectoryDiagnosticStep {
  step: string;
  controller: string;
  durationMs: number;
  ok: boolean;
  error: string;
  detail: string;
}

export interface DirectoryDiagnosticGroup {
  id: string;
  dn: string;
  name: string;
  /** direct, nested or primary */
  membership: string;
}

export interface DirectoryDiagnosticTeam {
  id: string;
  name: string;
  groupIds: string[];
}

/** POST /api/directory/diagnostics: what sign-in finds for a name (auth.proto DirectoryDiagnostics). */
export interface DirectoryDiagnostics {
  configured: boolean;
  directoryKind: string;
  nameForm: string;
  filter: string;
  baseDn: string;
  /** found, not-found, ambiguous, invalid-name, unavailable, error or not-configured */
  outcome: string;
  message: string;
  dn: string;
  matchedDns: string[];
  userKey: string;
  accountName: string;
  principalName: string;
  displayName: string;
  refusal: string;
  refusalCode: string;
  refusalMessage: string;
  accountAttributes: string[];
  groupBaseDn: string;
  groups: DirectoryDiagnosticGroup[];
  teamsResolved: boolean;
  teams: DirectoryDiagnosticTeam[];
  teamNote: string;
  answeredBy: string;
  steps: DirectoryDiagnosticStep[];
  totalMs: number;
}

/** The directory as administrators see it (AdministerSystem): the sync's state and sign-in diagnostics. */
@Injectable({ providedIn: 'root' })
export class DirectoryApi {
  private readonly http = inject(HttpClient);

  syncStatus(): Promise<DirectorySyncStatus> {
    return firstValueFrom(this.http.get<DirectorySyncStatus>('/api/directory/sync'));
  }

  /** Never sends a password: the diagnosis runs as the directory's search account. */
  diagnose(name: string): Promise<DirectoryDiagnostics> {
    return firstValueFrom(this.http.post<DirectoryDiagnostics>('/api/directory/diagnostics', { name }));
  }
}
