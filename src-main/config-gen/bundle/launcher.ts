// The `install` launcher at the top of an offline bundle, and its README. The launcher needs
// nothing but a POSIX shell and sha256sum (coreutils, on every Debian): it checks the two
// programs it runs against the digests written into it, then runs the installer, which checks
// the signature before anything else. So the launcher's own SHA-256 pins the whole chain: it is
// the same for every bundle of one Bulwark build, and the export prints it. Pure.

export interface LauncherModel {
  /** The bundle's runtime (bin/node), or the host's own for an upgrade bundle (an absolute path). */
  runtime: { path: string; sha256: string };
  installer: { path: string; sha256: string };
}

export function renderLauncher(m: LauncherModel): string {
  return `#!/bin/sh
# Bulwark offline bundle: sudo ./install --expect-key SHA256:... (see README.txt)
# Checks the runtime and the installer against the digests below, then runs the installer,
# which checks the bundle's signature before it reads anything else.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd -- "$here"
if ! printf '%s  %s\\n' ${m.runtime.sha256} ${m.runtime.path} ${m.installer.sha256} ${m.installer.path} | sha256sum --check --status - 2>/dev/null; then
  echo "install: ${m.runtime.path} or ${m.installer.path} is missing or does not match the digest in this launcher: the bundle was changed or damaged. Nothing on this host was changed." >&2
  exit 3
fi
exec ${m.runtime.path.startsWith('/') ? '' : './'}${m.runtime.path} ./${m.installer.path} --bundle "$here" "$@"
`;
}

export interface ReadmeModel {
  host: string;
  directory: string;
  createdAt: string;
  notAfter: string;
  encrypted: boolean;
}

export function renderReadme(m: ReadmeModel): string {
  return `Bulwark offline bundle for host ${m.host}
Made ${m.createdAt}; it can be installed until ${m.notAfter}.

It holds the host's secrets (private keys): keep it as you would keep them.

To install, as root on ${m.host}, with no network needed:

  tar xzf <this archive>
  sudo ./${m.directory}/install --expect-key SHA256:...${m.encrypted ? ' --passphrase-file FILE' : ''}

Take the fingerprint of Core's signing key from Core ("bulwark bundle key", or the host's page
in Bulwark), never from the bundle: whoever changed a bundle could change this file too. A host
that installed a bundle before trusts the key it pinned then, and needs no --expect-key.

The installer checks the signature, every file, the host, its OS release and architecture, and
the bundle's age before it changes anything; "./install --check" runs the checks alone.

On a first install, check the launcher before you run it: "sha256sum install" must print the
installer digest that "bulwark bundle export" printed (the same for every bundle of one
Bulwark build).
`;
}
