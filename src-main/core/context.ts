// The caller of the current procedure, carried through async work without threading it by hand.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallContext {
  /** Who asked, as the caller says: "cli:user@host", "ui", "desktop", "api". */
  actor: string;
  /** How the call arrived, as the transport saw it: "http 127.0.0.1:53122"; absent for in-process callers. */
  origin?: string;
}

export const callContext = new AsyncLocalStorage<CallContext>();

export function currentActor(): string {
  return callContext.getStore()?.actor ?? 'core';
}

export function currentOrigin(): string {
  return callContext.getStore()?.origin ?? 'in-process';
}
