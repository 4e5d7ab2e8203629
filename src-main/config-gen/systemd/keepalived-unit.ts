// The unit that runs keepalived for a gateway host's vrrp locations, with Bulwark's own
// configuration file, so a keepalived the admin runs for something else is left alone. Pure.

export const KEEPALIVED_UNIT = 'bulwark-keepalived.service';

export interface KeepalivedUnitModel {
  /** Absolute path of keepalived (Debian: /usr/sbin/keepalived). */
  program: string;
  /** Bulwark's keepalived.conf. */
  configFile: string;
  /** keepalived's own pid files, in its unit's RuntimeDirectory (host-layout.ts). */
  pidFile: string;
  vrrpPidFile: string;
}

export function renderKeepalivedUnit(m: KeepalivedUnitModel): string {
  for (const p of [m.program, m.configFile]) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(p)) throw new Error(`invariant failed: ${JSON.stringify(p)} is a plain absolute path`);
  }
  return [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    '[Unit]',
    'Description=Bulwark floating IP (keepalived VRRP for the gateway locations of this host)',
    'Wants=network-online.target',
    // The agent makes /run/bulwark (the health files keepalived tracks) and reads its FIFO.
    'After=network-online.target bulwark-gateway.service',
    'StartLimitIntervalSec=60',
    'StartLimitBurst=20',
    '',
    '[Service]',
    'Type=simple',
    // In the foreground, VRRP only, logging to the journal; pid files of its own.
    `ExecStart=${m.program} --dont-fork --log-console --vrrp --use-file=${m.configFile} --pid=${m.pidFile} --vrrp_pid=${m.vrrpPidFile}`,
    // A changed keepalived.conf is re-read in place: keepalived keeps each instance's state.
    'ExecReload=/bin/kill -HUP $MAINPID',
    // A keepalived that dies leaves the floating IP behind; the gateway agent notices and removes
    // it, and the restarted keepalived starts as backup (nopreempt).
    'Restart=always',
    'RestartSec=1',
    'RuntimeDirectory=bulwark-keepalived',
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
