// A button for what cannot be undone or cuts something off (removing a device or a gateway; a
// device's new key; disabling a device): the first click asks, in place, what will happen; only
// "Yes" does it. Esc or "Cancel" backs out.
import { useState, type ReactNode } from 'react';

export function ConfirmButton({ label, question, confirm, onConfirm, testid, danger = true }: { label: string; question: ReactNode; confirm: string; onConfirm: () => void; testid?: string; danger?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className={danger ? 'danger' : undefined} onClick={() => setAsking(true)} data-testid={testid}>
        {label}
      </button>
    );
  return (
    <span className="confirm" role="group" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)} data-testid={testid ? `${testid}-confirm` : undefined}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
