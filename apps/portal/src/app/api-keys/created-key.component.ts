import { ChangeDetectionStrategy, Component, input, output, signal } from '@angular/core';
import type { CreatedApiKey } from '@flotilla/api-interfaces';

/**
 * A key just created, with its secret: the only time anyone sees it (auth stores a hash). Copy
 * puts it on the clipboard; when the browser refuses (no clipboard permission, a page not served
 * over a secure origin) the user is told to select it instead, never told it was copied.
 */
@Component({
  selector: 'flotilla-created-key',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" data-testid="api-key-created" aria-labelledby="created-key-heading">
      <h2 id="created-key-heading">API key “{{ created().key.purpose }}” created</h2>
      <p class="error" role="alert" data-testid="api-key-once-warning">
        Copy this key now: you will not see it again. Flotilla stores only a hash of it; if you lose it,
        revoke it and create another.
      </p>
      <div class="row">
        <div class="field grow">
          <label for="created-key-secret">Key (send it as the X-Octopus-ApiKey header)</label>
          <input
            id="created-key-secret"
            readonly
            [value]="created().secret"
            (focus)="selectAll($event)"
            data-testid="api-key-secret"
            autocomplete="off"
            spellcheck="false"
          />
        </div>
        <button type="button" (click)="copy()" data-testid="api-key-copy">Copy</button>
        <button type="button" class="secondary" (click)="dismissed.emit()" data-testid="api-key-dismiss">
          I have stored it
        </button>
      </div>
      @if (copyOutcome(); as outcome) {
        <p [class]="outcome.ok ? 'ok' : 'error'" role="status" data-testid="api-key-copy-outcome">
          {{ outcome.text }}
        </p>
      }
    </section>
  `,
})
export class CreatedKeyComponent {
  readonly created = input.required<CreatedApiKey>();
  /** The user has the key: the page forgets the secret. */
  readonly dismissed = output();
  protected readonly copyOutcome = signal<{ ok: boolean; text: string } | null>(null);

  protected selectAll(event: FocusEvent): void {
    (event.target as HTMLInputElement).select();
  }

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.created().secret);
      this.copyOutcome.set({ ok: true, text: 'Copied to the clipboard.' });
    } catch {
      this.copyOutcome.set({
        ok: false,
        text: 'The browser did not allow copying: select the key above and copy it yourself.',
      });
    }
  }
}
