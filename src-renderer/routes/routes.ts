// routes/: every page's URL, the one mapping between a View (what the app shows) and a path,
// both ways. Pure; the stores and the app import it. The router (app/App.tsx) turns the browser's URL into a View for the store, and the store's
// go() turns a View into a URL, so a reload, a bookmark or the back button lands on the same page.

/** What the app shows. */
export type View = { kind: 'topology' } | { kind: 'locations' } | { kind: 'location'; name: string } | { kind: 'hosts' } | { kind: 'provisioning' } | { kind: 'missing'; path: string };

const seg = (s: string) => encodeURIComponent(s);

export function pathOf(view: View): string {
  switch (view.kind) {
    case 'topology':
      return '/';
    case 'locations':
      return '/locations';
    case 'location':
      return `/locations/${seg(view.name)}`;
    case 'hosts':
      return '/hosts';
    case 'provisioning':
      return '/provisioning';
    case 'missing':
      return view.path;
  }
}

/** The View at a path; an unknown path is a "missing" page that says so (never a silent redirect). */
export function viewOf(pathname: string): View {
  const parts = pathname.split('/').filter(Boolean);
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { kind: 'missing', path: pathname };
  }
  const [first, second, ...rest] = decoded;
  if (rest.length > 0) return { kind: 'missing', path: pathname };
  if (first === undefined) return { kind: 'topology' };
  if (first === 'locations') return second === undefined ? { kind: 'locations' } : { kind: 'location', name: second };
  if (second !== undefined) return { kind: 'missing', path: pathname };
  if (first === 'hosts') return { kind: 'hosts' };
  if (first === 'provisioning') return { kind: 'provisioning' };
  return { kind: 'missing', path: pathname };
}
