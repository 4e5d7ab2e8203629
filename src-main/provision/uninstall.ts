// provision/uninstall.ts: what `bulwark host uninstall` does on the host, over SSH: stop and
// disable Bulwark's units (not while an apply holds the host's lock), end what they left running,
// remove Bulwark's files and directories, and make systemd forget the removed units.
import { BulwarkError, AGENT_ROLES, HostManifest } from '../contract/index.js';
import { unitName } from '../config-gen/systemd/agent-unit.js';
import {
  HOST_APPLY_LOCK,
  HOST_CONFIG_DIR,
  HOST_ROOT,
  HOST_RUNTIME,
  HOST_STATE_DIR,
  NGINX_PID_FILE,
  TLS_CA,
  agentCertPath,
  agentConfigPath,
  agentKeyPath,
  agentProgramPath,
  agentUnitPath,
} from '../contract/host-layout.js';
import { sanitizeManifest } from './remote/inspect.js';
import type { RemoteHost } from './remote/remote-host.js';

/** Removes Bulwark from the host; returns the units it stopped and the paths it removed. */
export async function removeBulwark(remote: RemoteHost, host: string): Promise<{ units: string[]; removed: string[] }> {
  const manifestText = (await remote.run('inspect', 'reading the manifest', ['sh', '-c', 'cat "$1" 2>/dev/null || true', 'sh', `${HOST_STATE_DIR}/manifest.json`])).stdout;
  let manifest: HostManifest | null = null;
  try {
    // From the host, so not trusted: only Bulwark's own paths and units are acted on.
    manifest = sanitizeManifest(manifestText.trim() ? HostManifest.parse(JSON.parse(manifestText)) : null);
  } catch {
    manifest = null; // damaged: the fixed layout below still finds everything Bulwark installs
  }
  const roles = AGENT_ROLES;
  const units = [...new Set([...(manifest?.units ?? []), ...roles.map((r) => unitName(r))])];
  // Stop and disable every unit that exists; report the ones that did. Not while an apply
  // still runs on the host (it holds the lock).
  const stopped = await remote.run('restart', 'stopping the agents', [
    'sh',
    '-c',
    'if [ -e "$1" ]; then exec 9<"$1"; if ! flock -n 9; then echo "another Bulwark apply is still running on this host (it holds $1); wait for it" >&2; exit 75; fi; rm -f -- "$1"; fi; p=$2; shift 2; for u do if [ -n "$(systemctl list-unit-files --no-legend -- "$u" 2>/dev/null)" ]; then systemctl disable --now -- "$u" >/dev/null 2>&1; echo "$u"; fi; done; for i in /sys/class/net/bw-*; do [ -e "$i" ] && ip link del dev "${i##*/}"; done; if [ -s "$p" ]; then kill -QUIT "$(cat "$p")" 2>/dev/null; rm -f -- "$p"; fi; ' +
      // What a unit left running on purpose (KillMode=process: the gateway's wireguard-go)
      // keeps systemd listing it, not-found, after its file is gone (seen on systemd 252): end
      // it, and wait until the unit's cgroup is empty (5 s at most), so the reload below can
      // forget the unit (cgroup v2, or its unified tree on a hybrid host).
      'for u do systemctl kill --kill-who=all --signal=SIGKILL -- "$u" >/dev/null 2>&1; n=0; while cg=$(systemctl show -p ControlGroup --value -- "$u" 2>/dev/null) && [ -n "$cg" ] && [ -n "$(cat "/sys/fs/cgroup$cg/cgroup.procs" "/sys/fs/cgroup/unified$cg/cgroup.procs" 2>/dev/null)" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; done; true',
    'sh',
    HOST_APPLY_LOCK,
    NGINX_PID_FILE,
    ...units,
  ]);
  const files = [
    ...new Set([
      ...(manifest?.files.map((f) => f.path) ?? []),
      HOST_RUNTIME,
      TLS_CA,
      ...roles.flatMap((r) => [agentProgramPath(r), agentConfigPath(r), agentUnitPath(r), agentCertPath(r), agentKeyPath(r)]),
    ]),
  ];
  // Files first, then Bulwark's own directories (deepest first) and its state directory.
  const dirs = [...new Set([...(manifest?.dirs ?? []), HOST_ROOT, `${HOST_ROOT}/bin`, ...AGENT_ROLES.map((r) => `${HOST_ROOT}/${r}`), `${HOST_CONFIG_DIR}/tls`, HOST_CONFIG_DIR])].sort((a, b) => b.length - a.length);
  const removed = await remote.run('install', 'removing files', [
    'sh',
    '-c',
    [
      'for p do',
      '  case "$p" in --dirs) mode=dirs; continue;; --units) mode=units; continue;; esac',
      '  if [ "$mode" = units ]; then units="$units $p"',
      '  elif [ "$mode" = dirs ]; then',
      '    if [ -d "$p" ] && rmdir -- "$p" 2>/dev/null; then echo "$p/"; fi',
      '  elif [ -e "$p" ] || [ -L "$p" ]; then rm -rf -- "$p" && echo "$p"; fi',
      'done',
      // The reload forgets the removed units; reset-failed forgets a failed one it keeps.
      'systemctl daemon-reload',
      'for u in $units; do systemctl reset-failed -- "$u" 2>/dev/null; done; true',
    ].join('\n'),
    'sh',
    ...files,
    `${HOST_STATE_DIR}`,
    '--dirs',
    ...dirs,
    '--units',
    ...units,
  ]);
  // What is left: the directories, and the first files in them, so the admin sees what to check.
  const left = await remote.run('inspect', 'looking for leftovers', ['sh', '-c', 'for d do [ -e "$d" ] && echo "dir $d"; done; find "$@" -mindepth 1 2>/dev/null | head -n 10; true', 'sh', HOST_ROOT, HOST_CONFIG_DIR, HOST_STATE_DIR]);
  const lines = left.stdout.split('\n').filter(Boolean);
  const leftDirs = lines.filter((l) => l.startsWith('dir ')).map((l) => l.slice(4));
  if (leftDirs.length > 0) {
    const inside = lines.filter((l) => !l.startsWith('dir '));
    throw new BulwarkError(
      'in_use',
      `host ${host}: removed Bulwark's files, but ${leftDirs.join(', ')} still hold files Bulwark did not put there${inside.length ? ` (${inside.join(', ')})` : ''}; look at them and remove them by hand`,
    );
  }
  return { units: stopped.stdout.split('\n').filter(Boolean), removed: removed.stdout.split('\n').filter(Boolean) };
}
