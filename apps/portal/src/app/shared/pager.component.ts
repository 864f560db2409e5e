import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';

/** "1–25 of 80" with previous/next, for the API's skip/take paging. */
@Component({
  selector: 'flotilla-pager',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" [disabled]="skip() === 0" (click)="skipChange.emit(previous())">
        Previous
      </button>
      <span data-testid="pager-range"
        >{{ total() === 0 ? 0 : skip() + 1 }}–{{ last() }} of {{ total() }}</span
      >
      <button
        type="button"
        class="secondary"
        [disabled]="last() >= total()"
        (click)="skipChange.emit(skip() + take())"
      >
        Next
      </button>
    </nav>
  `,
})
export class PagerComponent {
  readonly skip = input.required<number>();
  readonly take = input.required<number>();
  readonly total = input.required<number>();
  readonly skipChange = output<number>();

  protected readonly last = computed(() => Math.min(this.skip() + this.take(), this.total()));
  protected readonly previous = computed(() => Math.max(0, this.skip() - this.take()));
}
