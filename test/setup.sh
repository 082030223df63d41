#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine: the Debian packages the
# interop, Python and deployment suites run against, then the npm dependencies (which also build).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  python3-zmq python3-msgpack python3-flask python3-django   # Python handler + interop
  gunicorn                                                   # the WSGI differential test
  mongrel2-core                                              # Mongrel2 compatibility suite
  iproute2 openssl curl                                      # network namespaces, TLS certs
  chromium                                                   # the status page test (playwright-core)
  docker.io docker-compose debootstrap                       # deployment suite (local images)
)
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

# `npm install` follows package-lock.json. (`npm ci` is not used: npm 11 writes lock files without
# the other platforms' optional msgpackr-extract entries and then refuses them in `npm ci`.)
npm install --no-audit --no-fund

# The deployment suite's engine and base images (cached per machine). Where no engine can run,
# the suite reports itself skipped, loudly; setup goes on either way.
if ! bash test/deploy/engine.sh prepare; then
  echo "test/setup.sh: *** no Docker engine or base images: the deployment suite will be skipped ***" >&2
fi
