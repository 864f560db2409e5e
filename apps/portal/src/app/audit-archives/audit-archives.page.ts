import { DatePipe, DecimalPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal } from '@angular/core';
import { AuditArchiveSummary, Permission, RetentionSetting } from '@flotilla/api-interfaces';

import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { AuditArchivesApi } from './audit-archives-api';

/**
 * The audit archives: how long events stay in the database, and each archived day (count, chain
 * numbers, SHA-256) with its .jsonl and signed manifest to download. Reviewers (EventView) read;
 * administrators (AdministerSystem) change the retention and delete an archive 30 days after it
 * was made. Check a download with `npm run audit:verify -- <file> --public-key checkpoint.pub`.
 */
@Component({
  selector: 'flotilla-audit-archives',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, DecimalPipe],
  template: `
    <h1>Audit archives</h1>
    @if (retention(); as setting) {
      <p data-testid="audit-retention">
        Events older than <strong>{{ setting.days }} days</strong> are moved out of the database, one day per
        archive, with a manifest signed by the cluster's checkpoint key.
      </p>
    }
    @if (canAdminister) {
      <!-- novalidate: the server says why a value is refused, in its own words. -->
      <form class="inline" novalidate (submit)="$event.preventDefault(); saveRetention(days.value)">
        <label
          >Retention (days)
          <input
            #days
            type="number"
            min="1"
            [value]="retention()?.days ?? 90"
            data-testid="audit-retention-days"
        /></label>
        <button type="submit" [disabled]="busy()" data-testid="audit-retention-save">Save</button>
      </form>
    }
    @if (error(); as message) {
      <p class="error" role="alert" data-testid="audit-archives-error">{{ message }}</p>
    }
    @if (loading()) {
      <p class="muted">Loading archives…</p>
    } @else if (archives().length === 0) {
      <p class="muted" data-testid="audit-archives-empty">No archive yet.</p>
    } @else {
      <table data-testid="audit-archives-table">
        <thead>
          <tr>
            <th>Day</th>
            <th>Events</th>
            <th>Chain numbers</th>
            <th>SHA-256</th>
            <th>Made</th>
            <th>Files</th>
          </tr>
        </thead>
        <tbody>
          @for (archive of archives(); track archive.day) {
            <tr data-testid="audit-archive-row" [attr.data-day]="archive.day">
              <td>{{ archive.day }}</td>
              <td>{{ archive.count | number }}</td>
              <td>
                @if (archive.firstSequence !== null) {
                  #{{ archive.firstSequence }}–#{{ archive.lastSequence }}
                } @else {
                  <span class="muted">before the chain</span>
                }
              </td>
              <td>
                <code class="small" [title]="archive.sha256">{{ archive.sha256.slice(0, 16) }}…</code>
              </td>
              <td>{{ archive.createdAt | date: 'medium' }}</td>
              <td>
                @if (archive.fileDeletedAt) {
                  <span class="muted">deleted {{ archive.fileDeletedAt | date: 'medium' }}</span>
                } @else {
                  <button type="button" class="secondary" (click)="download(archive, false)">
                    {{ archive.file }}
                  </button>
                  <button type="button" class="secondary" (click)="download(archive, true)">manifest</button>
                  @if (canAdminister) {
                    <button
                      type="button"
                      class="danger"
                      [disabled]="busy()"
                      [title]="'Can be deleted from ' + (archive.deletableFrom | date: 'medium')"
                      (click)="remove(archive)"
                    >
                      Delete
                    </button>
                  }
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class AuditArchivesPage implements OnInit {
  private readonly api = inject(AuditArchivesApi);
  protected readonly canAdminister = inject(SessionService).can(Permission.AdministerSystem);
  protected readonly retention = signal<RetentionSetting | null>(null);
  protected readonly archives = signal<AuditArchiveSummary[]>([]);
  protected readonly loading = signal(true);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  ngOnInit(): void {
    void this.load();
  }

  protected async saveRetention(value: string): Promise<void> {
    await this.act(async () => {
      this.retention.set(await this.api.setRetention(Number(value)));
    });
  }

  protected async remove(archive: AuditArchiveSummary): Promise<void> {
    await this.act(async () => {
      await this.api.delete(archive.day);
      await this.load();
    });
  }

  /** Fetched with the session's header (a plain link cannot send it), then saved by the browser. */
  protected async download(archive: AuditArchiveSummary, manifest: boolean): Promise<void> {
    await this.act(async () => {
      const blob = await this.api.download(archive.day, manifest);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = manifest ? archive.manifestFile : archive.file;
      link.click();
      URL.revokeObjectURL(link.href);
    });
  }

  private async load(): Promise<void> {
    try {
      const [retention, list] = await Promise.all([this.api.retention(), this.api.list()]);
      this.retention.set(retention);
      this.archives.set(list.items);
    } catch (error) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }

  private async act(work: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
    } catch (error) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
