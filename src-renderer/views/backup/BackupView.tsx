// backup/: the Backup page (/backup). Makes a backup of Core (core.backup: the database, the
// secret key and the token, sealed with a passphrase), saves it at once (a download, or the
// desktop's save dialog: Core keeps it for one fetch), says how to restore it and what a
// restore loses, and lists the backups made so far (core.backed_up events). Only App imports it.
import { useState } from 'react';
import type { BackupMade, CoreEvent } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { Field, FormError, useForm } from '../form.js';
import { ago, bytes, count } from '../format.js';
import { usePolled } from '../use-polled.js';

export function BackupView() {
  const api = useApp((s) => s.api)!;
  const f = useForm();
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState<{ made: BackupMade; saved: string | null } | null>(null);
  const [saveError, setSaveError] = useState<{ made: BackupMade; message: string } | null>(null);
  const history = usePolled(() => api.call('events.list', { kind: 'core.backed_up', newest: true, limit: 10 }), 30_000, [api]);

  const save = async (made: BackupMade) => {
    setSaveError(null);
    try {
      setDone({ made, saved: await api.saveDownload('backups', made.id, made.fileName) });
    } catch (err) {
      setSaveError({ made, message: (err as Error).message });
    }
  };
  const run = async () => {
    setDone(null);
    setSaveError(null);
    setMismatch(passphrase !== repeat);
    if (passphrase !== repeat) return;
    const made = await api.call('core.backup', { passphrase });
    setPassphrase('');
    setRepeat('');
    history.reload();
    await save(made);
  };

  return (
    <section className="backup-page" data-testid="backup-page">
      <h2>Backup</h2>
      <p className="muted">
        A backup is all of Core: its database (locations, hosts, gateways, devices, the CA that the agents trust, the audit trail) with its secret key and, when Core is served,
        its API token, sealed with your passphrase. Core keeps serving while it is made. It brings Core back on any machine, and the agents accept the restored Core, since it has the same CA.
      </p>
      <form className="card form" data-testid="backup-form" onSubmit={(e) => f.submit(e, run)}>
        <Field form={f} name="passphrase" label="Passphrase" hint="At least 12 characters. Keep it apart from the file: without it the backup cannot be opened; with both, anyone has your VPN's keys">
          <input type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} data-testid="backup-passphrase" />
        </Field>
        <label className={`field${mismatch ? ' field-invalid' : ''}`}>
          <span className="field-label">Passphrase again</span>
          <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} data-testid="backup-repeat" />
          {mismatch ? (
            <span className="field-error" role="alert" data-testid="error-repeat">
              The two passphrases differ; type the same one twice
            </span>
          ) : null}
        </label>
        <FormError message={f.general} />
        <button type="submit" disabled={f.busy || passphrase === ''} data-testid="backup-submit">
          {f.busy ? 'Making the backup…' : 'Make backup'}
        </button>
        {saveError ? (
          <p className="form-error" role="alert" data-testid="backup-save-error">
            The backup was made, but not saved: {saveError.message}.{' '}
            <button type="button" className="link" onClick={() => void save(saveError.made)} data-testid="backup-save-retry">
              Try again
            </button>
          </p>
        ) : null}
        {done ? <BackupDone made={done.made} saved={done.saved} onSaveAgain={() => void save(done.made)} /> : null}
      </form>
      <div className="card">
        <h3>Restore</h3>
        <p>On the machine that is to run Core, with Core stopped and an empty data dir:</p>
        <pre className="mono" data-testid="backup-restore-command">{'bulwark restore FILE --data-dir DIR --passphrase-file PASSFILE\nbulwark serve --data-dir DIR'}</pre>
        <p className="note">
          A restore brings Core back as it was when the backup was made. What came after is lost: the restored Core sends each gateway its peers as of the backup, so a device added
          since is cut off until it is added again, and a device removed since is back. Make one after every change that matters, or on a timer (the README has a recipe).
        </p>
      </div>
      <div className="card">
        <h3>Backups made</h3>
        <BackupHistory events={history.value} error={history.error} />
      </div>
    </section>
  );
}

function BackupDone({ made, saved, onSaveAgain }: { made: BackupMade; saved: string | null; onSaveAgain: () => void }) {
  const c = made.counts;
  return (
    <div role="status" data-testid="backup-done">
      {saved ? (
        <p>
          <strong>Saved {saved}</strong> ({bytes(made.size)}): {count(c.locations)} location{c.locations === 1 ? '' : 's'}, {count(c.hosts)} host{c.hosts === 1 ? '' : 's'},{' '}
          {count(c.devices)} device{c.devices === 1 ? '' : 's'} and {count(c.events)} events, as of {new Date(made.createdAt).toLocaleString()}. The snapshot took{' '}
          {Math.round(made.snapshotMs)} ms.
        </p>
      ) : (
        <p>
          <strong>Not saved</strong>: the save dialog was closed. Core keeps the backup for an hour.{' '}
          <button type="button" className="link" onClick={onSaveAgain} data-testid="backup-save-again">
            Save it
          </button>
        </p>
      )}
    </div>
  );
}

function BackupHistory({ events, error }: { events: CoreEvent[] | null; error: string | null }) {
  if (error) return <FormError message={error} testid="backup-history-error" />;
  if (events === null) return <p className="muted">Loading…</p>;
  if (events.length === 0) return <p className="muted" data-testid="backup-history-empty">No backup has been made yet.</p>;
  return (
    <table data-testid="backup-history">
      <thead>
        <tr>
          <th>Made</th>
          <th>By</th>
          <th>Size</th>
        </tr>
      </thead>
      <tbody>
        {[...events].reverse().map((e) => (
          <tr key={e.id}>
            <td title={e.time}>{ago(e.time)}</td>
            <td className="mono">{e.actor}</td>
            <td>{bytes(typeof e.details.size === 'number' ? e.details.size : null)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
