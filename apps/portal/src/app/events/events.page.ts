import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, OnInit, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { AuditEvent, ListEventsQuery } from '@flotilla/api-interfaces';

import { EventsApi } from '../api/events-api';
import { apiErrorMessage } from '../core/api-error';
import { AuditApi, ExportFormat, startDownload } from './audit-api';
import { EventDetail } from './event-detail';
import { TrailStatus } from './trail-status';

const PAGE_SIZE = 50;

/** The audit trail for reviewers: who did what, when, from where. */
@Component({
  selector: 'flotilla-events',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, ReactiveFormsModule, EventDetail, TrailStatus],
  styles: `
    tr.clickable {
      cursor: pointer;
    }
    tr.clickable:hover,
    tr[aria-selected='true'] {
      background: rgba(127, 127, 127, 0.12);
    }
  `,
  template: `
    <h1>Audit events</h1>
    <flotilla-trail-status />
    <form class="card inline-form" [formGroup]="filters" (ngSubmit)="search()" data-testid="events-filters">
      <div class="field">
        <label for="events-actor">Actor</label>
        <input id="events-actor" formControlName="actor" data-testid="events-actor" />
      </div>
      <div class="field">
        <label for="events-action">Action</label>
        <input
          id="events-action"
          formControlName="action"
          placeholder="project.created"
          data-testid="events-action"
        />
      </div>
      <div class="field">
        <label for="events-client-ip">Client IP or CIDR</label>
        <input
          id="events-client-ip"
          formControlName="clientIp"
          placeholder="10.1.0.0/16"
          data-testid="events-client-ip"
        />
      </div>
      <div class="field">
        <label for="events-text">Text in details</label>
        <input id="events-text" formControlName="text" data-testid="events-text" />
      </div>
      <div class="field">
        <label for="events-from">From</label>
        <input id="events-from" type="datetime-local" formControlName="from" data-testid="events-from" />
      </div>
      <div class="field">
        <label for="events-to">To</label>
        <input id="events-to" type="datetime-local" formControlName="to" data-testid="events-to" />
      </div>
      <button type="submit" data-testid="events-search">Search</button>
      <button type="button" class="secondary" (click)="clear()">Clear</button>
      <span class="spacer"></span>
      <button type="button" class="secondary" (click)="export('csv')" data-testid="events-export-csv">
        Export CSV
      </button>
      <button type="button" class="secondary" (click)="export('jsonl')" data-testid="events-export-jsonl">
        Export JSONL (signed)
      </button>
    </form>
    @if (selected(); as event) {
      <flotilla-event-detail [event]="event" (closed)="selected.set(null)" />
    }
    @if (error(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    }
    @if (loading() && events().length === 0) {
      <p class="muted">Loading events…</p>
    } @else if (events().length === 0) {
      <p class="muted">No events match.</p>
    } @else {
      <table data-testid="events-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Resource</th>
            <th>Client IP</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          @for (event of events(); track event.id) {
            <tr
              data-testid="event-row"
              class="clickable"
              tabindex="0"
              [attr.aria-selected]="selected()?.id === event.id"
              (click)="selected.set(event)"
              (keydown.enter)="selected.set(event)"
            >
              <td>{{ event.occurredAt | date: 'medium' }}</td>
              <td>{{ event.actorName || event.actorId }}</td>
              <td>
                <code>{{ event.action }}</code>
              </td>
              <td>
                {{ event.resourceType }} <code class="muted">{{ event.resourceId }}</code>
              </td>
              <td>{{ event.clientIp }}</td>
              <td>
                <code class="details" [title]="event.details">{{ event.details }}</code>
              </td>
            </tr>
          }
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages" data-testid="events-pager">
        <button
          type="button"
          class="secondary"
          [disabled]="afters().length === 1"
          (click)="newer()"
          data-testid="events-newer"
        >
          Newer
        </button>
        <span data-testid="events-page">Page {{ afters().length }}</span>
        <button
          type="button"
          class="secondary"
          [disabled]="!nextCursor()"
          (click)="older()"
          data-testid="events-older"
        >
          Older
        </button>
      </nav>
    }
  `,
})
/**
 * Pages follow each other by cursor (the trail is not counted: on a large trail that costs more than
 * the page): Older asks for the page after the last event shown, Newer goes back one page.
 */
export class EventsPage implements OnInit {
  private readonly api = inject(EventsApi);
  protected readonly filters = inject(NonNullableFormBuilder).group({
    actor: '',
    action: '',
    clientIp: '',
    text: '',
    from: '',
    to: '',
  });
  /** The filters of the shown results (the form may have been edited since). */
  private readonly applied = signal<ListEventsQuery>({});
  protected readonly events = signal<AuditEvent[]>([]);
  /** The `after` of every page from the newest to the one shown ('' for the newest). */
  protected readonly afters = signal<string[]>(['']);
  protected readonly nextCursor = signal<string | undefined>(undefined);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);
  /** The event shown in full (a row clicked). */
  protected readonly selected = signal<AuditEvent | null>(null);
  private readonly audit = inject(AuditApi);

  private readonly trailStatus = viewChild.required(TrailStatus);

  ngOnInit(): void {
    // The verification after the first list: not at the same moment (see TrailStatus).
    void this.load().then(() => this.trailStatus().check());
  }

  protected search(): void {
    const { actor, action, clientIp, text, from, to } = this.filters.getRawValue();
    this.applied.set({
      actor: actor.trim(),
      action: action.trim(),
      clientIp: clientIp.trim(),
      text: text.trim(),
      from: toIso(from),
      to: toIso(to),
    });
    this.afters.set(['']);
    void this.load();
  }

  /**
   * Downloads every event of the shown results' filter (not only this page) as a file: the browser
   * streams it to disk; the URL holds a single-use ticket, never the session token.
   */
  protected async export(format: ExportFormat): Promise<void> {
    this.error.set(null);
    try {
      startDownload(await this.audit.exportUrl(this.applied(), format));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  protected clear(): void {
    this.filters.reset();
    this.search();
  }

  protected older(): void {
    const next = this.nextCursor();
    if (!next) return;
    this.afters.update((afters) => [...afters, next]);
    void this.load();
  }

  protected newer(): void {
    if (this.afters().length === 1) return;
    this.afters.update((afters) => afters.slice(0, -1));
    void this.load();
  }

  private async load(): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      const after = this.afters().at(-1);
      const page = await this.api.list({ ...this.applied(), take: PAGE_SIZE, ...(after ? { after } : {}) });
      this.events.set(page.items);
      this.nextCursor.set(page.nextCursor);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}

/** datetime-local gives local wall time without a zone; the API wants an instant. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const instant = new Date(local);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}
