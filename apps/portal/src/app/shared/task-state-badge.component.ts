import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { TaskState } from '@flotilla/api-interfaces';

/** A task's state as a coloured badge (colour by state; the text carries the meaning). */
@Component({
  selector: 'flotilla-task-state',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<span [class]="'badge state-' + state().toLowerCase()">{{ state() }}</span>`,
})
export class TaskStateBadgeComponent {
  readonly state = input.required<TaskState>();
}
