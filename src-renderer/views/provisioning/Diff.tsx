// A unified diff, its first lines shown and the rest one click away ("Show 120 more lines").
import { useState } from 'react';

/** Lines shown before the admin asks for more. */
export const DIFF_LINES_SHOWN = 40;

function lineClass(line: string): string {
  if (/^(\+\+\+|---) /.test(line)) return 'diff-file';
  if (line.startsWith('@@')) return 'diff-hunk';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  return '';
}

export function Diff({ text }: { text: string }) {
  const [all, setAll] = useState(false);
  const lines = text.split('\n');
  const shown = all ? lines : lines.slice(0, DIFF_LINES_SHOWN);
  const more = lines.length - shown.length;
  return (
    <>
      <pre className="diff" data-testid="plan-diff">
        {shown.map((line, i) => (
          <span key={i} className={lineClass(line)}>
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
      {more > 0 ? (
        <button type="button" className="link-button" data-testid="plan-diff-more" onClick={() => setAll(true)}>
          Show {more} more line{more === 1 ? '' : 's'}
        </button>
      ) : null}
    </>
  );
}
