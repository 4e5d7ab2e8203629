#!/bin/sh
# Bulwark's CLI, and headless Core as "bulwark serve" (the bulwark service runs that). Without
# --data-dir or --server it talks to the service, through the address and token the service
# publishes in /run/bulwark-core for root and the bulwark group.
export BULWARK_CLIENT_DIR="${BULWARK_CLIENT_DIR-/run/bulwark-core}"
exec /usr/lib/bulwark/agents/runtime/node /usr/lib/bulwark/bulwark.mjs "$@"
