// The caller of the current procedure, carried through async work without threading it by hand.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallContext {
  /** Who asked: "cli:user@host", "ui", "desktop", "api". */
  actor: string;
}

export const callContext = new AsyncLocalStorage<CallContext>();

export function currentActor(): string {
  return callContext.getStore()?.actor ?? 'core';
}
