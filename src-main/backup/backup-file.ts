// backup/: Core's backups. This file: the backup file itself, pure. "bulwark-backup 1", the
// header as one JSON line, then each part as its length (8 bytes) and its sealed bytes
// (AES-256-GCM under the passphrase's scrypt key; the associated data is the part's name and
// the header, so neither can be changed or swapped unnoticed). Used by Core (backup-service.ts)
// and the CLI's restore (restore.ts).
import { BACKUP_FORMAT, BackupHeader, BulwarkError, type BACKUP_PARTS } from '../contract/index.js';
import { open, seal, unlock } from '../bundle-format/sealing.js';

const MAGIC = Buffer.from('bulwark-backup 1\n');
type PartName = (typeof BACKUP_PARTS)[number];

/** The file, sealed with `sealing` (newEncryption or newEncryptionAsync of the passphrase). */
export function writeBackupFile(h: Omit<BackupHeader, 'format' | 'encryption' | 'parts'>, sealing: { encryption: BackupHeader['encryption']; key: Buffer }, parts: { name: PartName; data: Buffer }[]): Buffer {
  const { encryption, key } = sealing;
  const header: BackupHeader = { format: BACKUP_FORMAT, ...h, encryption, parts: parts.map((p) => ({ name: p.name, size: p.data.length })) };
  const line = JSON.stringify(header);
  const chunks: Buffer[] = [MAGIC, Buffer.from(`${line}\n`)];
  for (const p of parts) {
    const sealed = seal(key, p.data, `${p.name}\n${line}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(sealed.length));
    chunks.push(len, sealed);
  }
  return Buffer.concat(chunks);
}

const damaged = (why: string) => BulwarkError.field('file', `this is not a whole Bulwark backup (${why}); copy it again`);

/** The header, read before any passphrase is asked for. */
export function readBackupHeader(file: Buffer): { header: BackupHeader; line: string; body: Buffer } {
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw BulwarkError.field('file', 'is not a Bulwark backup (one made by "bulwark backup")');
  const end = file.indexOf(0x0a, MAGIC.length);
  if (end < 0) throw damaged('no header');
  const line = file.subarray(MAGIC.length, end).toString('utf8');
  let header: BackupHeader;
  try {
    header = BackupHeader.parse(JSON.parse(line));
  } catch {
    throw damaged('its header is not one this Bulwark reads');
  }
  return { header, line, body: file.subarray(end + 1) };
}

/** Every part, opened; a wrong passphrase and a changed byte are told apart. */
export function openBackupFile(file: Buffer, passphrase: string): { header: BackupHeader; parts: Map<PartName, Buffer> } {
  const { header, line, body } = readBackupHeader(file);
  const key = unlock(passphrase, header.encryption);
  if (!key) throw BulwarkError.field('passphrase', 'wrong passphrase for this backup');
  const parts = new Map<PartName, Buffer>();
  let at = 0;
  for (const p of header.parts) {
    if (at + 8 > body.length) throw damaged(`it ends before ${p.name}`);
    const len = Number(body.readBigUInt64BE(at));
    const sealed = body.subarray(at + 8, at + 8 + len);
    if (sealed.length !== len) throw damaged(`${p.name} is cut short`);
    const data = open(key, sealed, `${p.name}\n${line}`);
    if (!data || data.length !== p.size) throw damaged(`${p.name} was changed`);
    parts.set(p.name, data);
    at += 8 + len;
  }
  if (at !== body.length) throw damaged('it has bytes after its last part');
  return { header, parts };
}
