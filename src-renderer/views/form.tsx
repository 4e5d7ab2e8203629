import { useState, type FormEvent, type ReactNode } from 'react';
import { BulwarkError } from '../../src-main/contract/index.js';

export interface FormState {
  busy: boolean;
  errors: Record<string, string>;
  general: string | null;
  submit(e: FormEvent, run: () => Promise<void>): void;
}

/** Runs a mutation and spreads Core's field errors onto the fields they name. */
export function useForm(): FormState {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  return {
    busy,
    errors,
    general,
    submit(e, run) {
      e.preventDefault();
      setBusy(true);
      setErrors({});
      setGeneral(null);
      run()
        .catch((err: unknown) => {
          if (err instanceof BulwarkError && err.issues.length > 0) {
            const byField: Record<string, string> = {};
            for (const i of err.issues) byField[i.field] ??= i.message;
            setErrors(byField);
          } else setGeneral(err instanceof Error ? err.message : String(err));
        })
        .finally(() => setBusy(false));
    },
  };
}

export function Field(props: { label: string; name: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <label className={`field${props.error ? ' field-invalid' : ''}`}>
      <span className="field-label">{props.label}</span>
      {props.children}
      {props.error ? (
        <span className="field-error" role="alert" data-testid={`error-${props.name}`}>
          {props.error}
        </span>
      ) : props.hint ? (
        <span className="field-hint">{props.hint}</span>
      ) : null}
    </label>
  );
}

export function FormError({ message, testid = 'form-error' }: { message: string | null; testid?: string }) {
  return message ? (
    <p className="form-error" role="alert" data-testid={testid}>
      {message}
    </p>
  ) : null;
}
