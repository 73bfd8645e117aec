/**
 * How the create and edit forms say what is wrong with a field: `aria-invalid`, the message
 * under the field tied to it by `aria-describedby` (with the field's hint, if any), and a
 * summary at the submit button that moves focus to the first field to fix.
 */

/** The attributes that tie a field to its problem (and hint). */
export function fieldAria(id: string, error: string | undefined, hintId?: string) {
  const describedBy = [error ? `${id}-error` : null, hintId ?? null].filter(Boolean).join(" ");
  return { id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy || undefined } as const;
}

/** A field's problem in words, under the field. */
export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <p id={`${id}-error`} class="field-error">
      {error}
    </p>
  ) : null;
}

/** Moves focus to the form's first field marked invalid (after the render that marks it). */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}

/** "Not sent: fix the 2 fields marked below." */
export function NotSent({ count }: { count: number }) {
  return count > 0 ? (
    <p class="state error field-wide" role="alert">
      Not sent: fix the {count === 1 ? "field" : `${count} fields`} marked below.
    </p>
  ) : null;
}
