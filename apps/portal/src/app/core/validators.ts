import { AbstractControl, ValidationErrors, Validators } from '@angular/forms';

/** `Validators.required` as a plain function: passing the static method trips `unbound-method`. */
export const required = (control: AbstractControl): ValidationErrors | null => Validators.required(control);
