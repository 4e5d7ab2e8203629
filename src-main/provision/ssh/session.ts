// provision/ssh: the SSH adapter (ssh2). Verifies the host key against the pinned fingerprint
// during the key exchange, before authentication, so a changed key stops everything before any
// command runs. Commands it runs are built by quote.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { BulwarkError } from '../../contract/index.js';
import type { ExecResult, SshTarget, Upload } from '../../core/ports.js';

export type { ExecResult, SshTarget, Upload };

/** How long one remote command may run unless its caller says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/** OpenSSH's fingerprint form: "SHA256:" and unpadded base64 of the key blob's SHA-256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export class SshSession {
  private closedReason: string | null = null;
  private readonly onClose = new Set<(reason: string) => void>();
  private sftpChannel: Promise<SFTPWrapper> | null = null;

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** The fingerprint the host presented. */
    readonly fingerprint: string,
  ) {
    const lost = (reason: string) => {
      if (this.closedReason !== null) return;
      this.closedReason = reason;
      for (const f of this.onClose) f(reason);
    };
    client.on('close', () => lost('the connection was closed'));
    client.on('error', (err: Error) => lost(err.message));
  }

  /** Rejects when the connection drops, so no operation waits forever on a dead host. */
  private guard<T>(what: string, work: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    if (this.closedReason !== null) return Promise.reject(this.lostError(what, this.closedReason));
    return new Promise<T>((resolve, reject) => {
      const onLost = (reason: string) => reject(this.lostError(what, reason));
      this.onClose.add(onLost);
      work(
        (v) => {
          this.onClose.delete(onLost);
          resolve(v);
        },
        (e) => {
          this.onClose.delete(onLost);
          reject(e);
        },
      );
    });
  }

  private lostError(what: string, reason: string): BulwarkError {
    return new BulwarkError('unavailable', `host ${this.target.name}: lost the SSH connection during ${what} (${reason})`);
  }

  /**
   * Connects and authenticates. With `pinned` set, a host presenting another key is refused
   * during the key exchange (error code host_key_changed, carrying the presented fingerprint).
   * With `pinned` null the key is taken for this connection only: callers pin it explicitly.
   */
  static connect(target: SshTarget, pinned: string | null, timeoutMs = 10_000): Promise<SshSession> {
    const where = `host ${target.name} (${target.user}@${target.address}:${target.port})`;
    let presented = '';
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      // Notice a host that vanished (power loss, cut link) within about 15 s.
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = fingerprintOf(key);
        return pinned === null || presented === pinned;
      },
    };
    if (target.auth.kind === 'key') {
      try {
        config.privateKey = readFileSync(target.auth.identityFile);
      } catch (err) {
        return Promise.reject(new BulwarkError('invalid_input', `${where}: cannot read the identity file ${target.auth.identityFile} (${(err as NodeJS.ErrnoException).code})`));
      }
    } else {
      if (!process.env.SSH_AUTH_SOCK) {
        return Promise.reject(new BulwarkError('ssh_auth_failed', `${where}: the host uses the ssh-agent, but SSH_AUTH_SOCK is not set; start an agent with the key, or give the host an identity file`));
      }
      config.agent = process.env.SSH_AUTH_SOCK;
    }
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve(new SshSession(client, target, presented));
      });
      // `on`, not `once`: ssh2 can emit a second error (e.g. "Connection lost before handshake"
      // after a timeout), and an error event without a listener would end the whole server.
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) return;
        settled = true;
        client.end();
        if (pinned !== null && presented !== '' && presented !== pinned) {
          reject(
            new BulwarkError(
              'host_key_changed',
              `${where}: its SSH host key changed from ${pinned} to ${presented}. Nothing was run on it. This may be an attack (someone between Bulwark and the host), or the host was reinstalled. If you know it was reinstalled, check the new fingerprint on the host's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and re-pin it deliberately: bulwark host check ${target.name} --repin --accept ${presented}`,
              { details: { pinned, presented } },
            ),
          );
        } else if (err.level === 'client-authentication') {
          reject(new BulwarkError('ssh_auth_failed', `${where}: the host refused our key for ${target.user}; add the public key to ~${target.user}/.ssh/authorized_keys on the host`));
        } else {
          reject(new BulwarkError('unavailable', `${where}: cannot connect (${err.code ?? err.message}); check the address, the port and that sshd runs`));
        }
      });
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 parses the private key here, synchronously: a key file changed since the host was added.
        settled = true;
        const file = target.auth.kind === 'key' ? target.auth.identityFile : 'from the ssh-agent';
        reject(BulwarkError.field('identityFile', `${where}: cannot use the key ${file} (${(err as Error).message}); point the host at an SSH private key without a passphrase, or use the ssh-agent`));
      }
    });
  }

  /** Runs one command (built with shellCommand) and collects its output; `onLine` sees stdout line by line. */
  exec(command: string, onLine?: (line: string) => void, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<ExecResult> {
    return this.guard('a command', (resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new BulwarkError('unavailable', `host ${this.target.name}: cannot start a command: ${err.message}`));
        // Nothing is ever typed into a remote command: a prompt gets end-of-file, not a hang.
        stream.end();
        const timer = setTimeout(() => {
          stream.close();
          const shown = command.length > 120 ? `${command.slice(0, 120)}…` : command;
          reject(new BulwarkError('unavailable', `host ${this.target.name}: a command did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped: ${shown}`));
        }, timeoutMs);
        let stdout = '';
        let stderr = '';
        let pending = '';
        stream.on('data', (d: Buffer) => {
          const text = d.toString('utf8');
          stdout += text;
          if (!onLine) return;
          pending += text;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            onLine(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
          }
        });
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          if (onLine && pending) onLine(pending);
          resolve({ code: code ?? -1, stdout, stderr });
        });
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= this.guard<SFTPWrapper>('opening SFTP', (resolve, reject) =>
      this.client.sftp((err, sftp) => (err ? reject(new BulwarkError('unavailable', `host ${this.target.name}: SFTP is not available: ${err.message}; enable the sftp subsystem in sshd_config`)) : resolve(sftp))),
    );
    return this.sftpChannel;
  }

  /** Uploads files over SFTP, each with its mode. The caller verifies checksums on the host. */
  async upload(files: Upload[]): Promise<void> {
    const sftp = await this.sftp();
    for (const f of files) {
      await this.guard<void>(`the upload of ${f.remotePath}`, (resolve, reject) => {
        const done = (err: Error | null | undefined) =>
          err ? reject(new BulwarkError('unavailable', `host ${this.target.name}: cannot upload ${f.remotePath}: ${err.message}`)) : resolve();
        if (f.source.kind === 'bytes') sftp.writeFile(f.remotePath, f.source.bytes, { mode: f.mode }, done);
        else sftp.fastPut(f.source.localPath, f.remotePath, { mode: f.mode, concurrency: 32, chunkSize: 65536 }, done);
      });
    }
  }

  close(): void {
    this.client.end();
  }
}
