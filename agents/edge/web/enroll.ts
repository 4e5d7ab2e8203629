/// <reference lib="dom" />
// /enroll#<invite token>: sets up one device from a one-time invite. The browser makes the
// WireGuard key pair; only the public key leaves it, and the private key is shown once, in the
// config the user saves.
import { renderClientConfig } from '../../../src-main/config-gen/wireguard/client-config.js';
import type { EdgeCallOutput } from '../../../src-main/contract/schemas/edge.js';
import { CallError, PATTERNS, call, explain, newIdempotencyKey, type Explanations } from './api.js';
import { $, setStatus, showProblem } from './page.js';
import { drawQr } from './qr.js';

/** Browsers whose WebCrypto has X25519, for the message when this one has not. */
export const X25519_BROWSERS = 'Chrome or Edge 133, Firefox 130, Safari 17 (iOS 17), or newer';

export interface WireGuardKeys {
  /** base64 of the 32-byte public key: what enroll.complete sends. */
  publicKey: string;
  /** base64 of the 32-byte private key: wg-quick's PrivateKey, never sent or stored. */
  privateKey: string;
}

export class NoX25519Error extends Error {
  override readonly name = 'NoX25519Error';
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A WireGuard key pair from WebCrypto X25519: the same curve and encoding as `wg genkey`. */
export async function makeKeyPair(): Promise<WireGuardKeys> {
  if (typeof crypto === 'undefined' || !crypto.subtle) {
    throw new NoX25519Error('the page was not opened over HTTPS, so the browser offers it no cryptography');
  }
  let pair: CryptoKeyPair;
  try {
    pair = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
  } catch (e) {
    throw new NoX25519Error(`its WebCrypto has no X25519 (${e instanceof Error ? e.message : String(e)})`);
  }
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  // WebCrypto exports no raw private key; the JWK's `d` is it, in base64url (RFC 8037).
  const { d } = await crypto.subtle.exportKey('jwk', pair.privateKey);
  if (raw.length !== 32 || typeof d !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(d)) {
    throw new NoX25519Error('it made an X25519 key of an unexpected form');
  }
  return { publicKey: base64(raw), privateKey: `${d.replaceAll('-', '+').replaceAll('_', '/')}=` };
}

/**
 * `<location>.conf` with only [A-Za-z0-9_.-] and at most 15 characters before ".conf": wg-quick
 * names the interface after the file, and Linux interface names are at most 15 bytes.
 */
export function configFileName(location: string): string {
  const stem = location
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 15)
    .replace(/[.-]+$/, '');
  return `${stem === '' ? 'wg0' : stem}.conf`;
}

const ENROLL_EXPLANATIONS: Explanations = {
  core_unreachable: 'The sign-up service cannot reach its control server right now. Your invite is still valid; try again in a few minutes.',
  timeout: 'The control server did not answer in time. Your invite is still valid; try again in a minute.',
  no_authenticator: 'The authenticator key for this invite was not set up yet. Open the invite link again and scan the new QR code.',
  device_unknown: 'The device for this invite was not found. Ask your administrator for a new invite.',
};

/** Errors after which this invite cannot go on: the form goes away. */
const FINAL = new Set(['invite_unknown', 'invite_used', 'invite_expired', 'invite_revoked', 'invalid_input', 'device_unknown']);


function hideProblem(): void {
  $('problem').hidden = true;
  $('submit-problem').hidden = true;
}

/** A problem with what the user just sent: next to the button, where they are looking. */
function showSubmitProblem(text: string): void {
  setStatus(null);
  $('submit-problem-text').textContent = text;
  const box = $('submit-problem');
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

function readToken(): string | { problem: string } {
  let token = location.hash.replace(/^#/, '').trim();
  try {
    token = decodeURIComponent(token);
  } catch {
    // A stray "%": the pattern check below names the problem.
  }
  // Out of the address bar and the history entry: a shared computer's history or a screenshot
  // should not carry a live invite.
  if (location.hash !== '') history.replaceState(history.state, '', location.pathname + location.search);
  if (token === '') {
    return {
      problem:
        'This page needs the invite link your administrator sent you, which ends with "#" and a long code. ' +
        'Open that link exactly as you received it. (If you reloaded this page, open the link from the message again: ' +
        'the code is removed from the address bar when the page opens.)',
    };
  }
  if (!PATTERNS.inviteToken.pattern.test(token)) return { problem: `The part after "#" in this link ${PATTERNS.inviteToken.message}.` };
  return token;
}

function formatExpiry(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const when = at.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
  const hours = (at.getTime() - Date.now()) / 3_600_000;
  const rel = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const relative =
    Math.abs(hours) < 1
      ? rel.format(Math.round(hours * 60), 'minute')
      : Math.abs(hours) < 48
        ? rel.format(Math.round(hours), 'hour')
        : rel.format(Math.round(hours / 24), 'day');
  return `This invite works once, until ${when} (${relative}).`;
}

/** The secret as the app asks for it, in groups of four so it can be typed. */
function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

function normalizeCode(value: string): string {
  return value.replace(/[\s-]/g, '');
}

let unsaved = false;
function guardUnsaved(e: BeforeUnloadEvent): void {
  if (!unsaved) return;
  e.preventDefault();
  // Chromium before 119 and Safari need returnValue set to ask.
  e.returnValue = '';
}
function markSaved(): void {
  unsaved = false;
}

function showResult(done: EdgeCallOutput<'enroll.complete'>, keys: WireGuardKeys): void {
  const text = renderClientConfig({ ...done.config, privateKey: keys.privateKey });
  $('enroll').hidden = true;
  $('expiry').hidden = true;
  hideProblem();
  setStatus(null);
  $('title').textContent = `${done.device} is set up for ${done.location}`;
  document.title = `${done.device} is set up – VPN sign-up`;
  $('result-summary').textContent = `The VPN now knows this device as “${done.device}” in ${done.location}. Its address in the VPN is ${done.config.address}.`;

  if (done.mfa && done.connectUrl) {
    const link = $<HTMLAnchorElement>('connect-url');
    link.href = done.connectUrl;
    link.textContent = done.connectUrl;
    $('connect').hidden = false;
  }

  const name = configFileName(done.location);
  const download = $<HTMLAnchorElement>('download');
  download.href = URL.createObjectURL(new Blob([text], { type: 'application/octet-stream' }));
  download.download = name;
  download.textContent = `Download ${name}`;
  download.addEventListener('click', markSaved);

  $('config-text').textContent = text;
  const copyStatus = $('copy-status');
  $('copy').addEventListener('click', () => {
    void navigator.clipboard
      .writeText(text)
      .then(() => {
        markSaved();
        copyStatus.textContent = 'Copied. Paste it into a new, empty tunnel in the WireGuard app.';
      })
      .catch(() => {
        const details = document.querySelector('details');
        if (details) details.open = true;
        copyStatus.textContent = 'This browser did not allow copying. Select the configuration text below and copy it yourself.';
      });
  });

  const qr = $('config-qr');
  const showQr = $<HTMLButtonElement>('show-qr');
  showQr.addEventListener('click', () => {
    if (qr.hidden) {
      drawQr(qr, text, `QR code of the WireGuard configuration for ${done.device}`, 'L');
      qr.hidden = false;
      showQr.textContent = 'Hide QR code';
      markSaved();
    } else {
      qr.hidden = true;
      showQr.textContent = 'Show QR code';
    }
  });

  unsaved = true;
  window.addEventListener('beforeunload', guardUnsaved);
  $('result').hidden = false;
  $('title').focus();
}

async function start(token: string): Promise<void> {
  setStatus('Checking your invite…');
  let invite: EdgeCallOutput<'invite.lookup'>;
  try {
    invite = await call('invite.lookup', { token });
  } catch (e) {
    return showProblem(explain(e, ENROLL_EXPLANATIONS), FINAL.has(e instanceof CallError ? e.code : '') ? undefined : () => void start(token));
  }
  $('title').textContent = `Set up ${invite.device} for ${invite.location}`;
  document.title = `Set up ${invite.device} – VPN sign-up`;
  const expiry = formatExpiry(invite.expiresAt);
  $('expiry').textContent = expiry;
  $('expiry').hidden = expiry === '';

  setStatus('Checking that this browser can make WireGuard keys…');
  let keys: WireGuardKeys;
  try {
    keys = await makeKeyPair();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return showProblem(
      `This browser cannot set up the device, because ${why}. Open the invite link in a current browser: ${X25519_BROWSERS}. Your invite was not used.`,
    );
  }

  if (invite.mfa) {
    setStatus('Getting the key for your authenticator app…');
    // The same secret every time until the invite is used, so one key per page is enough.
    for (;;) {
      try {
        const totp = await call('enroll.totp', { token });
        drawQr($('totp-qr'), totp.uri, `QR code for your authenticator app: ${totp.label}`);
        $('totp-secret').textContent = groupSecret(totp.secret);
        $('totp-digits').textContent = String(totp.digits);
        $('code-help').textContent = `${totp.digits} digits. A new one appears every ${totp.periodSeconds} seconds; type the one shown now.`;
        const link = $<HTMLAnchorElement>('totp-link');
        if (totp.uri.startsWith('otpauth://')) link.href = totp.uri;
        else link.parentElement!.hidden = true;
        break;
      } catch (e) {
        if (e instanceof CallError && FINAL.has(e.code)) return showProblem(explain(e, ENROLL_EXPLANATIONS));
        await new Promise<void>((retry) => showProblem(explain(e, ENROLL_EXPLANATIONS), retry));
        setStatus('Getting the key for your authenticator app…');
      }
    }
  }
  setStatus(null);
  $('mfa').hidden = !invite.mfa;
  $('create-step').hidden = !invite.mfa;
  $('enroll').hidden = false;
  if (invite.mfa) $('code').focus();

  // One attempt = one code: a retry of the same code after an unanswered request keeps its
  // Idempotency-Key, so Core answers the first request instead of refusing a used invite.
  let attempt: { key: string; code: string | undefined } | null = null;
  let busy = false;
  const form = $<HTMLFormElement>('enroll');
  const submit = $<HTMLButtonElement>('submit');
  const codeInput = $<HTMLInputElement>('code');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (busy) return;
    let code: string | undefined;
    if (invite.mfa) {
      code = normalizeCode(codeInput.value);
      if (!PATTERNS.totpCode.pattern.test(code)) {
        showSubmitProblem(code === '' ? 'Type the code your authenticator app shows first.' : `What you typed ${PATTERNS.totpCode.message}.`);
        codeInput.focus();
        return;
      }
    }
    if (!attempt || attempt.code !== code) attempt = { key: newIdempotencyKey(), code };
    const current = attempt;
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Setting up…';
    hideProblem();
    setStatus('Setting up this device…');
    call('enroll.complete', code === undefined ? { token, publicKey: keys.publicKey } : { token, publicKey: keys.publicKey, code }, { idempotencyKey: current.key })
      .then((done) => showResult(done, keys))
      .catch((e: unknown) => {
        const err = e instanceof CallError ? e : null;
        if (!err?.outcomeUnknown) attempt = null;
        if (err && FINAL.has(err.code)) {
          form.hidden = true;
          showProblem(explain(e, ENROLL_EXPLANATIONS));
          window.scrollTo(0, 0);
          return undefined;
        }
        showSubmitProblem(explain(e, ENROLL_EXPLANATIONS));
        if (err?.code === 'bad_code' || err?.code === 'code_reused') {
          codeInput.value = '';
          codeInput.focus();
        }
        if (err?.code === 'locked' && err.retryAfterSeconds) {
          submit.disabled = true;
          setTimeout(() => {
            submit.disabled = false;
          }, err.retryAfterSeconds * 1000);
          return 'locked';
        }
        return undefined;
      })
      .then((outcome) => {
        busy = false;
        submit.textContent = 'Set up this device';
        if (outcome !== 'locked') submit.disabled = false;
      });
  });
}

function main(): void {
  // Another invite link opened in this tab changes only the fragment, which loads nothing: start over.
  window.addEventListener('hashchange', () => location.reload());
  const token = readToken();
  if (typeof token !== 'string') return showProblem(token.problem);
  void start(token);
}

// Not when web.test.ts imports the helpers above in Node.
if (typeof document !== 'undefined') main();
