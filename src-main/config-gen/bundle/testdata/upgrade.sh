#!/bin/sh
# Bulwark offline bundle: sudo ./install --expect-key SHA256:... (see README.txt)
# Checks the runtime and the installer against the digests below, then runs the installer,
# which checks the bundle's signature before it reads anything else.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd -- "$here"
if ! printf '%s  %s\n' 1111111111111111111111111111111111111111111111111111111111111111 /opt/bulwark/bin/node 2222222222222222222222222222222222222222222222222222222222222222 bin/bundle-install.mjs | sha256sum --check --status - 2>/dev/null; then
  echo "install: /opt/bulwark/bin/node or bin/bundle-install.mjs is missing or does not match the digest in this launcher: the bundle was changed or damaged. Nothing on this host was changed." >&2
  exit 3
fi
exec /opt/bulwark/bin/node ./bin/bundle-install.mjs --bundle "$here" "$@"
