// One change at a time: every change to WireGuard and the state file runs through one queue, so
// Core's changes, the MFA idle sweep and a VRRP takeover never interleave. A change that fails
// does not hold up the ones after it; its caller sees the failure.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once everything queued so far has run (failed or not). */
  drained(): Promise<unknown> {
    return this.tail;
  }
}
