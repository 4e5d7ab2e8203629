// The unit that runs HAProxy as the edge balancer, with Bulwark's own configuration file, so an
// HAProxy the admin runs for something else (Debian's haproxy.service) is left alone. Pure.
// Choices, and why (Debian's own haproxy.service does the same where it applies):
// - Master-worker mode with systemd notification (-Ws, Type=notify): systemd knows HAProxy is
//   up once it listens, and a reload is hitless: the master starts new workers with the new
//   configuration beside the old ones, which finish their requests (SIGUSR2).
// - The configuration is checked before every start and every reload (-c -q), so a bad file
//   fails the start or the reload and the running HAProxy keeps serving.
// - KillMode=mixed: SIGTERM to the master alone, which stops its workers; SIGKILL to whatever is
//   left. Exit 143 (killed by SIGTERM) is a clean stop.
// - No capability bounding: the master stays root to bind 80 and 443 and to read the private
//   key (0600, root) at every reload; the workers drop to the haproxy user (its config says so).
//   NoNewPrivileges still holds, and the file system is read-only but for /etc (ProtectSystem=full).
// - RuntimeDirectory: the pid file and the stats socket, 0700, gone when HAProxy stops.

export interface HaproxyUnitModel {
  /** Absolute path of haproxy (HAPROXY_PROGRAM, /usr/sbin/haproxy). */
  program: string;
  /** Bulwark's haproxy.cfg (HAPROXY_CONF). */
  configFile: string;
  /** HAProxy's runtime directory (HAPROXY_RUN_DIR, /run/<RuntimeDirectory>): its pid file and stats socket. */
  runDir: string;
}

export function renderHaproxyUnit(m: HaproxyUnitModel): string {
  for (const p of [m.program, m.configFile, m.runDir]) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(p)) throw new Error(`invariant failed: ${JSON.stringify(p)} is a plain absolute path`);
  }
  const runtime = /^\/run\/([A-Za-z0-9._-]+)$/.exec(m.runDir)?.[1];
  if (runtime === undefined) throw new Error(`invariant failed: run directory ${JSON.stringify(m.runDir)} is /run/<name>, the unit's RuntimeDirectory`);
  return [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    '[Unit]',
    'Description=Bulwark edge balancer (HAProxy in front of the edges)',
    'Wants=network-online.target',
    'After=network-online.target',
    'StartLimitIntervalSec=60',
    'StartLimitBurst=20',
    '',
    '[Service]',
    'Type=notify',
    `ExecStartPre=${m.program} -c -q -f ${m.configFile}`,
    `ExecStart=${m.program} -Ws -f ${m.configFile} -p ${m.runDir}/haproxy.pid`,
    `ExecReload=${m.program} -c -q -f ${m.configFile}`,
    'ExecReload=/bin/kill -USR2 $MAINPID',
    'KillMode=mixed',
    'SuccessExitStatus=143',
    'Restart=always',
    'RestartSec=1',
    `RuntimeDirectory=${runtime}`,
    'RuntimeDirectoryMode=0700',
    'NoNewPrivileges=yes',
    'ProtectSystem=full',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
