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

interface FieldProps {
  /** The form whose errors this field shows. */
  form: FormState;
  /** The input field as Core names it in an error's `field` ("ssh", "vip"): that error shows here. */
  name: string;
  label: string;
  /** Shown under the control while it has no error; none when empty. */
  hint?: string;
}

/** The field's control is a text input: its text, its data-testid, and how it looks. */
interface TextInputProps {
  testid: string;
  value: string;
  onChange(value: string): void;
  placeholder?: string;
  mono?: boolean;
  inputMode?: 'numeric' | 'decimal';
}

/** One labelled control with its hint, or Core's error about it; a text input unless `children` is the control. */
export function Field(props: FieldProps & (TextInputProps | { children: ReactNode })) {
  const error = props.form.errors[props.name];
  return (
    <label className={`field${error ? ' field-invalid' : ''}`}>
      <span className="field-label">{props.label}</span>
      {'value' in props ? <TextInput {...props} /> : props.children}
      {error ? (
        <span className="field-error" role="alert" data-testid={`error-${props.name}`}>
          {error}
        </span>
      ) : props.hint ? (
        <span className="field-hint">{props.hint}</span>
      ) : null}
    </label>
  );
}

function TextInput({ testid, value, onChange, placeholder, mono, inputMode }: TextInputProps) {
  return (
    <input
      data-testid={testid}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={placeholder}
      className={mono ? 'mono' : undefined}
      inputMode={inputMode}
    />
  );
}

export function FormError({ message, testid = 'form-error' }: { message: string | null; testid?: string }) {
  return message ? (
    <p className="form-error" role="alert" data-testid={testid}>
      {message}
    </p>
  ) : null;
}
