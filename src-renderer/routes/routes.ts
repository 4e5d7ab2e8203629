// routes/: every page's URL, the one mapping between a View (what the app shows) and a path,
// both ways. Pure; the stores and the app import it. The router (app/App.tsx) turns the browser's URL into a View for the store, and the store's
// go() turns a View into a URL, so a reload, a bookmark or the back button lands on the same page.

/** What the app shows. */
export type View =
  | { kind: 'topology' }
  | { kind: 'locations' }
  | { kind: 'location'; name: string }
  | { kind: 'device'; location: string; name: string }
  | { kind: 'hosts' }
  | { kind: 'host'; name: string }
  | { kind: 'provisioning' }
  | { kind: 'run'; id: string }
  | { kind: 'backup' }
  | { kind: 'missing'; path: string };

const seg = (s: string) => encodeURIComponent(s);

export function pathOf(view: View): string {
  switch (view.kind) {
    case 'topology':
      return '/';
    case 'locations':
      return '/locations';
    case 'location':
      return `/locations/${seg(view.name)}`;
    case 'device':
      return `/locations/${seg(view.location)}/devices/${seg(view.name)}`;
    case 'hosts':
      return '/hosts';
    case 'host':
      return `/hosts/${seg(view.name)}`;
    case 'provisioning':
      return '/provisioning';
    case 'run':
      return `/provisioning/runs/${seg(view.id)}`;
    case 'backup':
      return '/backup';
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
  const [first, second, third, fourth, ...rest] = decoded;
  const missing: View = { kind: 'missing', path: pathname };
  if (rest.length > 0) return missing;
  if (first === undefined) return { kind: 'topology' };
  if (first === 'locations') {
    if (second === undefined) return { kind: 'locations' };
    if (third === undefined) return { kind: 'location', name: second };
    return third === 'devices' && fourth !== undefined ? { kind: 'device', location: second, name: fourth } : missing;
  }
  if (first === 'hosts') {
    if (third !== undefined) return missing;
    return second === undefined ? { kind: 'hosts' } : { kind: 'host', name: second };
  }
  if (first === 'provisioning') {
    if (second === undefined) return { kind: 'provisioning' };
    return second === 'runs' && third !== undefined && fourth === undefined ? { kind: 'run', id: third } : missing;
  }
  if (first === 'backup') return second === undefined ? { kind: 'backup' } : missing;
  return missing;
}
