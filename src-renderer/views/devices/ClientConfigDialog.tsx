// A device's client config, the moment it exists: in a dialog over the page (not below the
// fold), with a QR code for the WireGuard apps on phones, a download as a .conf file for
// wg-quick and the desktop apps, and a copy button. Shown once when Core made the key pair: the
// private key is not stored, so closing it says so.
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

export interface ClientConfig {
  location: string;
  device: string;
  text: string;
  /** Holds a private key Core made and did not keep. */
  secret: boolean;
  /** The device is disabled: the config connects only once it is enabled. */
  disabled?: boolean;
}

/**
 * The file name: wg-quick names the interface after it, which allows 15 characters of
 * [A-Za-z0-9_=+.-]; the location's name, cut to fit.
 */
export function configFileName(location: string): string {
  const base = `wg-${location}`.replace(/[^A-Za-z0-9_=+.-]/g, '-').slice(0, 15);
  return `${base}.conf`;
}

async function copyText(text: string): Promise<void> {
  // The Clipboard API needs a secure context (Electron, https, or this machine); elsewhere the
  // older selection copy still works.
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy: select the text and copy it by hand');
}

export function ClientConfigDialog({ config, onClose }: { config: ClientConfig; onClose: () => void }) {
  const [qr, setQr] = useState<string | null>(null);
  const [qrError, setQrError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => {
    QRCode.toDataURL(config.text, { errorCorrectionLevel: 'M', margin: 2, width: 280 }).then(setQr, (e: Error) => setQrError(e.message));
  }, [config.text]);
  const download = () => {
    const url = URL.createObjectURL(new Blob([config.text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = configFileName(config.location);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="dialog-backdrop">
      <div className="dialog dialog-wide card" role="dialog" aria-modal="true" aria-labelledby="client-config-title" data-testid="device-config">
        <h3 id="client-config-title">
          Client config for {config.device} ({config.location})
        </h3>
        {config.secret ? (
          <p className="reason reason-refused" role="alert">
            Save it now: it holds the device's private key, which Bulwark does not keep. Once closed it cannot be shown again (a new config means a new key).
          </p>
        ) : (
          <p>The device keeps its own private key: put it in the PrivateKey line.</p>
        )}
        {config.disabled ? (
          <p className="note" data-testid="device-config-disabled">
            {config.device} is disabled: this config connects only once the device is enabled again.
          </p>
        ) : null}
        <div className="client-config">
          <div className="qr">
            {qr ? <img src={qr} alt={`QR code of the client config for ${config.device}`} data-testid="device-config-qr" width={280} height={280} /> : <p className="muted">{qrError ? `No QR code: ${qrError}` : 'Drawing the QR code…'}</p>}
            <p className="muted small">Scan it with the WireGuard app (Android, iOS).</p>
          </div>
          <pre data-testid="device-config-text">{config.text}</pre>
        </div>
        <div className="dialog-footer">
          <button type="button" onClick={download} data-testid="device-config-download">
            Download {configFileName(config.location)}
          </button>
          <button type="button" onClick={() => copyText(config.text).then(() => setCopied('Copied'), (e: Error) => setCopied(e.message))} data-testid="device-config-copy">
            Copy
          </button>
          {copied ? <span className="muted" role="status">{copied}</span> : null}
          <button type="button" className="primary" onClick={onClose} data-testid="device-config-close">
            {config.secret ? 'I saved it' : 'Close'}
          </button>
        </div>
      </div>
    </div>
  );
}
