// The identifier a location goes by inside keepalived, nginx and Envoy configuration (a VRRP
// instance, an upstream, a listener and cluster): those accept only letters, digits and "_", so
// every other character becomes "_". That is not one-to-one ("a-b", "a_b" and "a.b" are all
// bw_a_b, and nginx ignores case), so Core refuses a location whose identifier another already
// has (core/locations/derived-names.ts). Pure; used by every generator that names a location.

export function locationIdentifier(location: string): string {
  return `bw_${location.replace(/[^A-Za-z0-9_]/g, '_')}`;
}
