/// <reference lib="dom" />
// What both public pages do the same way: find their elements, say what is happening, and show
// a problem with an optional "Try again". Each page has #status, #problem, #problem-text,
// #problem-retry and #retry.

/** The page's element with this id; a missing one is a bug in the page's HTML. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`bug: ${location.pathname} has no #${id}`);
  return el as T;
}

export function setStatus(text: string | null): void {
  const status = $('status');
  status.textContent = text ?? '';
  status.hidden = text === null;
}

/** Shows a problem; `retry` (when given) runs from a "Try again" button. */
export function showProblem(text: string, retry?: () => void): void {
  setStatus(null);
  $('problem-text').textContent = text;
  $('problem-retry').hidden = !retry;
  $('retry').onclick = retry
    ? () => {
        $('problem').hidden = true;
        retry();
      }
    : null;
  $('problem').hidden = false;
}
