// `bulwark backup` and `bulwark restore`: Core's failover for those without Kubernetes. A backup
// is made by the running Core (an online snapshot) and downloaded once into a file written 0600;
// a restore runs here, with no server, into a new data dir.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BulwarkError } from '../../contract/index.js';
import { restoreBackup } from '../../backup/restore.js';
import { resolveDataDir } from '../../platform/data-dir.js';
import { formatBytes } from '../../text/bytes.js';
import { client, type GlobalOptions } from '../client.js';
import type { Cli } from '../command.js';
import { keyValues, safe } from '../format.js';
import { json, required } from '../options.js';
import { readPassphrase, saveOnce } from '../save-file.js';

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const backupOptions = {
    output: required('<file>', 'the backup file to write (or a directory for it)', { field: 'output', short: '-o' }),
    passphraseFile: required('<file>', 'seal the backup with the passphrase on the first line of this file (at least 12 characters)', { field: 'passphrase' }),
    json,
  };
  cli.command(program, 'backup', "a consistent backup of the running Core (database, secret key, token) while it serves, sealed with a passphrase", backupOptions, async (o, cmd) => {
    const api = client(cmd);
    const passphrase = readPassphrase(o.passphraseFile);
    // The output is checked before Core makes anything: a directory (it must exist; a trailing "/" says one is meant) or a new file.
    const given = resolve(o.output);
    const isDir = existsSync(given) && statSync(given).isDirectory();
    if (!isDir && /[/\\]$/.test(o.output)) throw BulwarkError.field('output', `${given} is not a directory; make it first (mkdir -p ${given})`);
    if (!isDir && existsSync(given)) throw BulwarkError.field('output', `${given} exists; give a new file name, or a directory`);
    const r = await api.call('core.backup', { passphrase });
    const out = isDir ? join(given, r.fileName) : given;
    await saveOnce((write) => api.download('backups', r.id, write), out);
    if (o.json) return cli.json({ ...r, path: out });
    io.out(
      keyValues([
        ['Backup', out],
        ['Size', formatBytes(r.size)],
        ['Made', `${r.createdAt} (snapshot in ${r.snapshotMs.toFixed(0)} ms, Core serving throughout)`],
        ['Holds', `${r.counts.locations} locations, ${r.counts.devices} devices, ${r.counts.hosts} hosts, ${r.counts.events} events; schema ${r.schema}`],
      ]) +
        `It holds the secret key and the API token, sealed with your passphrase; it was written readable by you alone (0600).\n` +
        `Restore it on another machine with: bulwark restore ${safe(out)} --data-dir DIR --passphrase-file FILE\n`,
    );
  });

  const restoreOptions = {
    passphraseFile: required('<file>', "the backup's passphrase, on the first line of this file", { field: 'passphrase' }),
    json,
  };
  cli.command(program, 'restore <file>', 'bring a backup back into a new, empty data dir (--data-dir), then start "bulwark serve" on it', restoreOptions, async (file, o, cmd) => {
    const { dataDir } = cmd.optsWithGlobals<GlobalOptions>();
    if (dataDir === undefined && !process.env.BULWARK_DATA_DIR) throw BulwarkError.field('dataDir', 'give the new data dir with --data-dir DIR (a restore never picks one for you)');
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(file));
    } catch (err) {
      throw BulwarkError.field('file', `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
    const r = restoreBackup(bytes, readPassphrase(o.passphraseFile), resolveDataDir(dataDir));
    if (o.json) return cli.json(r);
    io.out(
      keyValues([
        ['Restored', `backup ${r.header.id}, made ${r.header.createdAt} by Bulwark ${r.header.bulwarkVersion}`],
        ['Into', r.dataDir],
        ['Holds', `${r.counts.locations} locations, ${r.counts.devices} devices, ${r.counts.hosts} hosts, ${r.counts.events} events`],
        ['CA', r.ca ? `${r.ca} (the agents trust it: they link to this Core)` : 'none yet'],
        ['Token', r.token ? 'the same as before' : 'none in the backup: "bulwark serve" makes a new one'],
      ]) + `Start it with: bulwark serve --data-dir ${safe(r.dataDir)}\nStop the old Core first if it still runs: two Cores would both dial the same agents.\n`,
    );
  });
}
