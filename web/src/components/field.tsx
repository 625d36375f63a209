import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { fieldError } from './problem';

interface FieldFrame {
  label: string;
  /** The API's name for the field: its problem+json error is shown under it. */
  name: string;
  error?: unknown;
  hint?: ReactNode;
}

function Frame({ id, label, name, error, hint, children }: FieldFrame & { id: string; children: ReactNode }) {
  const reason = fieldError(error, name);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {reason ? (
        <div className="field-error" id={`${id}-error`} role="alert">
          {reason}
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, reason: string | undefined): string | undefined {
  return [hint ? `${id}-hint` : '', reason ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

export function TextField({ label, name, error, hint, ...input }: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const reason = fieldError(error, name);
  return (
    <Frame id={id} label={label} name={name} error={error} hint={hint}>
      <input id={id} name={name} aria-invalid={reason ? true : undefined} aria-describedby={describedBy(id, hint, reason)} {...input} />
    </Frame>
  );
}

export function TextArea({ label, name, error, hint, ...input }: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  const reason = fieldError(error, name);
  return (
    <Frame id={id} label={label} name={name} error={error} hint={hint}>
      <textarea id={id} name={name} aria-invalid={reason ? true : undefined} aria-describedby={describedBy(id, hint, reason)} {...input} />
    </Frame>
  );
}

export function SelectField({
  label,
  name,
  error,
  hint,
  children,
  ...input
}: FieldFrame & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  const id = useId();
  const reason = fieldError(error, name);
  return (
    <Frame id={id} label={label} name={name} error={error} hint={hint}>
      <select id={id} name={name} aria-invalid={reason ? true : undefined} aria-describedby={describedBy(id, hint, reason)} {...input}>
        {children}
      </select>
    </Frame>
  );
}
