import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import type { TrailVerification } from '@flotilla/api-interfaces';

import { apiErrorMessage } from '../core/api-error';
import { AuditApi } from './audit-api';

/**
 * Whether the stored trail is the chain the audit services wrote: checked once when the page asks
 * (after its first list, so the two reads do not race: each is recorded in the trail, and a
 * verification that sees an event appended while it reads reports a false break), and again on
 * request. Each check reads the whole trail and is itself recorded.
 */
@Component({
  selector: 'flotilla-trail-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card row" data-testid="trail-status" aria-live="polite">
      @if (checking() || (!result() && !error())) {
        <span class="muted">Verifying the trail…</span>
      } @else if (error(); as message) {
        <span class="error" role="alert">Verification failed: {{ message }}</span>
      } @else if (result(); as r) {
        @if (r.intact) {
          <span class="ok" data-testid="trail-status-text">
            Trail intact: {{ r.verifiedEvents }} chained events verified (head {{ r.headSequence }})
            @if (r.checkpoint; as cp) {
              , signed checkpoint at {{ cp.sequence }} ({{ cp.signedAt }}, {{ cp.node }})
            }
          </span>
        } @else {
          <span class="error" data-testid="trail-status-text">
            Trail NOT intact: {{ r.firstBreak?.kind }} at event {{ r.firstBreak?.sequence }}
            @if (r.firstBreak?.eventId; as id) {
              (<code>{{ id }}</code
              >)
            }
            — {{ r.firstBreak?.message }}
          </span>
        }
      }
      <span class="spacer"></span>
      <button
        type="button"
        class="secondary"
        (click)="check()"
        [disabled]="checking()"
        data-testid="trail-verify"
      >
        Verify again
      </button>
    </section>
  `,
})
export class TrailStatus {
  private readonly api = inject(AuditApi);
  protected readonly result = signal<TrailVerification | null>(null);
  protected readonly checking = signal(false);
  protected readonly error = signal<string | null>(null);

  async check(): Promise<void> {
    this.checking.set(true);
    this.error.set(null);
    try {
      this.result.set(await this.api.verification());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.checking.set(false);
    }
  }
}
