import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';

import { DirectoryApi, DirectorySyncStatus } from '../api/directory-api';
import { apiErrorMessage } from '../core/api-error';
import { durationText, syncHealthText, timeText } from './directory-text';

/** The directory sync's last run in the cluster (GET /api/directory/sync), refreshed on demand. */
@Component({
  selector: 'flotilla-directory-sync-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" data-testid="directory-sync">
      <h2>Directory sync</h2>
      @if (error(); as message) {
        <p class="error" role="alert" data-testid="directory-sync-error">{{ message }}</p>
      } @else if (status(); as current) {
        <p>
          <span
            class="badge"
            [class.state-success]="current.configured && current.directoryReachable"
            [class.state-failed]="current.configured && current.lastAttemptAt && !current.directoryReachable"
            data-testid="directory-sync-health"
            >{{ health(current) }}</span
          >
        </p>
        @if (current.configured) {
          <dl class="facts">
            <dt>Last attempt</dt>
            <dd data-testid="directory-sync-last-attempt">{{ time(current.lastAttemptAt) }}</dd>
            <dt>Last success</dt>
            <dd data-testid="directory-sync-last-success">{{ time(current.lastSuccessAt) }}</dd>
            <dt>Last failure</dt>
            <dd data-testid="directory-sync-last-failure">
              {{ time(current.lastFailureAt) }}
              @if (current.lastFailureReason) {
                — {{ current.lastFailureReason }}
              }
            </dd>
            <dt>Users checked</dt>
            <dd data-testid="directory-sync-checked">{{ current.usersChecked }}</dd>
            <dt>Deactivated / re-activated</dt>
            <dd data-testid="directory-sync-changed">
              {{ current.usersDeactivated }} / {{ current.usersReactivated }}
            </dd>
            <dt>Team groups</dt>
            <dd data-testid="directory-sync-team-groups">
              @if (current.teamGroupsFailureReason) {
                <span class="error">left as they were — {{ current.teamGroupsFailureReason }}</span>
              } @else {
                {{ current.teamGroupsChecked }} checked, {{ current.groupMembershipsAdded }} membership(s)
                added, {{ current.groupMembershipsRemoved }} removed
              }
            </dd>
            <dt>Ran on</dt>
            <dd data-testid="directory-sync-ran-on">{{ current.ranOn || '—' }}</dd>
            <dt>Interval</dt>
            <dd>{{ duration(current.intervalMs) }}</dd>
          </dl>
        }
      } @else {
        <p class="muted">Loading the sync status…</p>
      }
      <button type="button" class="secondary" (click)="load()" data-testid="directory-sync-refresh">
        Refresh
      </button>
    </section>
  `,
})
export class DirectorySyncStatusComponent implements OnInit {
  private readonly api = inject(DirectoryApi);
  protected readonly status = signal<DirectorySyncStatus | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly health = syncHealthText;
  protected readonly time = timeText;
  protected readonly duration = durationText;

  ngOnInit(): void {
    void this.load();
  }

  protected async load(): Promise<void> {
    try {
      this.status.set(await this.api.syncStatus());
      this.error.set(null);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
