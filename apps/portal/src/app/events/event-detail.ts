import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import type { AuditEvent } from '@flotilla/api-interfaces';

/** The details as a JSON object, or undefined when they are not one (an older producer's text). */
function parsedDetails(details: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(details);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/** One event in full, for a reviewer: who, what, the change, from where, and its place in the chain. */
@Component({
  selector: 'flotilla-event-detail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let e = event();
    <section class="card" data-testid="event-detail" aria-label="Event detail">
      <div class="row">
        <h2>
          Event <code data-testid="event-detail-id">{{ e.id }}</code>
        </h2>
        <span class="spacer"></span>
        <button type="button" class="secondary" (click)="closed.emit()" data-testid="event-detail-close">
          Close
        </button>
      </div>
      <dl class="event-fields">
        <dt>Who</dt>
        <dd data-testid="event-detail-actor">
          {{ e.actorName }} <code class="muted">{{ e.actorId }}</code>
        </dd>
        <dt>What</dt>
        <dd data-testid="event-detail-action">
          <code>{{ e.action }}</code>
        </dd>
        <dt>Resource</dt>
        <dd data-testid="event-detail-resource">
          {{ e.resourceType }} <code>{{ e.resourceId }}</code>
        </dd>
        <dt>Client IP</dt>
        <dd data-testid="event-detail-client-ip">{{ e.clientIp || 'unknown' }}</dd>
        <dt>X-Forwarded-For (raw, as received)</dt>
        <dd data-testid="event-detail-forwarded-for">
          <code>{{ e.forwardedFor || 'none' }}</code>
        </dd>
        <dt>Source service</dt>
        <dd data-testid="event-detail-source">{{ e.source }}</dd>
        <dt>Occurred (UTC)</dt>
        <dd data-testid="event-detail-occurred">{{ e.occurredAt }}</dd>
        <dt>Recorded (UTC)</dt>
        <dd data-testid="event-detail-recorded">{{ e.recordedAt || 'unknown' }}</dd>
        <dt>Sequence number</dt>
        <dd data-testid="event-detail-sequence">{{ e.sequenceNumber ?? 'before the chain began' }}</dd>
        <dt>Chain link</dt>
        <dd data-testid="event-detail-link">
          <code class="small">{{ e.chainHash || 'none' }}</code>
        </dd>
      </dl>
      @if (change(); as c) {
        <div class="row">
          <div class="field grow">
            <h3>Before</h3>
            <pre data-testid="event-detail-before">{{ c.before }}</pre>
          </div>
          <div class="field grow">
            <h3>After</h3>
            <pre data-testid="event-detail-after">{{ c.after }}</pre>
          </div>
        </div>
      }
      <h3>Details</h3>
      <pre data-testid="event-detail-details">{{ details() }}</pre>
    </section>
  `,
  styles: `
    .event-fields {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.25rem 1rem;
    }
    .event-fields dt {
      font-weight: 600;
    }
    .event-fields dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    pre {
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
  `,
})
export class EventDetail {
  readonly event = input.required<AuditEvent>();
  readonly closed = output<void>();

  /** Pretty JSON when the details are JSON, else the text as stored. */
  protected readonly details = computed(() => {
    const parsed = parsedDetails(this.event().details);
    return parsed ? pretty(parsed) : this.event().details;
  });

  /** Before and after, when the details carry them (settings changes: old and new values). */
  protected readonly change = computed(() => {
    const parsed = parsedDetails(this.event().details);
    if (!parsed) return undefined;
    const before = parsed['before'] ?? parsed['old'] ?? parsed['oldValue'];
    const after = parsed['after'] ?? parsed['new'] ?? parsed['newValue'];
    if (before === undefined && after === undefined) return undefined;
    return { before: pretty(before ?? null), after: pretty(after ?? null) };
  });
}
