/// <reference lib="dom" />
// /connect/<connect id>: starts an MFA session for one device with a code from its
// authenticator app. The link is the device's own and is meant to be bookmarked.
import type { EdgeCallOutput } from '../../../src-main/contract/schemas/edge.js';
import { CallError, PATTERNS, call, explain, formatDuration, newIdempotencyKey, type Explanations } from './api.js';
import { $, setStatus, showProblem } from './page.js';

const CONNECT_EXPLANATIONS: Explanations = {
  no_authenticator: 'This device has no authenticator app set up, so it cannot connect with a code. Ask your administrator.',
  invite_unknown: 'This connect link is not known. Open it exactly as you received it; if it still fails, ask your administrator.',
};

/** Errors after which this link cannot work: the form goes away. */
const FINAL = new Set(['device_unknown', 'no_authenticator', 'invalid_input', 'invite_unknown']);


/** The connect id: the last part of /connect/<id>. */
export function readConnectId(pathname: string): string | { problem: string } {
  const parts = pathname.split('/').filter((p) => p !== '');
  const id = parts[0] === 'connect' && parts.length === 2 ? (parts[1] ?? '') : '';
  if (id === '') {
    return { problem: 'This page needs your device\'s connect link, which ends with "/connect/" and 22 characters. Open that link exactly as you received it.' };
  }
  if (!PATTERNS.connectId.pattern.test(id)) return { problem: `The last part of this link ${PATTERNS.connectId.message}.` };
  return id;
}

function afterText(seconds: number): string {
  return `You stay connected while this device uses the VPN. After ${formatDuration(seconds)} without traffic the VPN closes the connection; then open this link again and type a new code.`;
}

function showOutcome(out: EdgeCallOutput<'connect'>): void {
  const box = $('outcome');
  box.classList.toggle('notice-done', out.connected);
  box.classList.toggle('notice-problem', !out.connected);
  const list = $('outcome-gateways');
  list.replaceChildren();
  const confirmed = out.gateways.filter((g) => g.confirmed);
  const missing = out.gateways.filter((g) => !g.confirmed);
  if (out.connected) {
    $('outcome-label').textContent = 'Connected';
    const took = out.tookMs > 0 ? ` (in ${(out.tookMs / 1000).toFixed(1)} s)` : '';
    const who = confirmed.length === 0 ? '' : confirmed.length === 1 ? ` Its gateway confirmed${took}:` : ` ${confirmed.length === 2 ? 'Both' : `All ${confirmed.length}`} gateways confirmed${took}:`;
    $('outcome-text').textContent = `${out.device} can now use the VPN of ${out.location}.${who}`;
  } else {
    $('outcome-label').textContent = 'Not connected';
    $('outcome-text').textContent =
      missing.length === 1
        ? `The gateway ${missing[0]?.host ?? ''} of ${out.location} did not confirm your device, so the VPN may not carry your traffic:`
        : `${missing.length} gateways of ${out.location} did not confirm your device, so the VPN may not carry your traffic:`;
  }
  for (const g of [...missing, ...confirmed]) {
    const li = document.createElement('li');
    const state = document.createElement('strong');
    state.textContent = g.confirmed ? 'Confirmed' : 'Did not confirm';
    li.append(state, ` ${g.host}`);
    if (!g.confirmed) li.append(`: ${g.reason ?? 'it gave no reason'}`);
    list.append(li);
  }
  $('outcome-after').textContent = out.connected
    ? `${afterText(out.disconnectThreshold)} If it does not work, check that the tunnel is on in the WireGuard app.`
    : 'Wait for the next code and try again. If it keeps failing, tell your administrator which gateway did not confirm.';
  box.hidden = false;
}

async function start(id: string): Promise<void> {
  setStatus('Looking up your device…');
  let device: EdgeCallOutput<'connect.lookup'>;
  try {
    device = await call('connect.lookup', { device: id });
  } catch (e) {
    const final = e instanceof CallError && FINAL.has(e.code);
    return showProblem(explain(e, CONNECT_EXPLANATIONS), final ? undefined : () => void start(id));
  }
  setStatus(null);
  $('title').textContent = `Connect ${device.device} to ${device.location}`;
  document.title = `Connect ${device.device} – VPN sign-up`;
  $('threshold').textContent = afterText(device.disconnectThreshold);

  const form = $<HTMLFormElement>('connect');
  const codeInput = $<HTMLInputElement>('code');
  const submit = $<HTMLButtonElement>('submit');
  form.hidden = false;
  codeInput.focus();

  // A retry of the same code after an unanswered request keeps its Idempotency-Key, so Core
  // answers the first request instead of refusing the code as used.
  let attempt: { key: string; code: string } | null = null;
  let busy = false;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (busy) return;
    const code = codeInput.value.replace(/[\s-]/g, '');
    if (!PATTERNS.totpCode.pattern.test(code)) {
      showProblem(code === '' ? 'Type the code your authenticator app shows first.' : `What you typed ${PATTERNS.totpCode.message}.`);
      codeInput.focus();
      return;
    }
    if (!attempt || attempt.code !== code) attempt = { key: newIdempotencyKey(), code };
    const current = attempt;
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Connecting…';
    $('problem').hidden = true;
    $('outcome').hidden = true;
    setStatus('Connecting: waiting for the gateways to confirm…');
    let lockedFor = 0;
    call('connect', { device: id, code }, { idempotencyKey: current.key })
      .then((out) => {
        setStatus(null);
        attempt = null;
        showOutcome(out);
        codeInput.value = '';
        // Connected: nothing more to do here until the session ends, and then the link is opened again.
        form.hidden = out.connected;
      })
      .catch((e: unknown) => {
        const err = e instanceof CallError ? e : null;
        if (!err?.outcomeUnknown) attempt = null;
        showProblem(explain(e, CONNECT_EXPLANATIONS));
        if (err && FINAL.has(err.code)) form.hidden = true;
        if (err?.code === 'bad_code' || err?.code === 'code_reused') codeInput.value = '';
        if (err?.code === 'locked') lockedFor = err.retryAfterSeconds ?? 0;
        if (!form.hidden) codeInput.focus();
      })
      .finally(() => {
        busy = false;
        submit.textContent = 'Connect';
        if (lockedFor > 0) setTimeout(() => (submit.disabled = false), lockedFor * 1000);
        else submit.disabled = false;
      });
  });
}

function main(): void {
  const id = readConnectId(location.pathname);
  if (typeof id !== 'string') return showProblem(id.problem);
  void start(id);
}

if (typeof document !== 'undefined') main();
