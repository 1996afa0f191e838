#!/usr/bin/env bash
# Builds the release artefacts of safemigrate into $DIST (default dist/):
#
#   safemigrate_<version>_linux_<arch>.tar.gz   static binary + LICENSE, notices, README, CHANGELOG
#   SHA256SUMS                                   sha256sum(1) format, one line per archive
#   linux_<arch>/safemigrate                     the static binary itself
#   rootfs-<arch>/                               the exact file tree of the container image
#                                                (Dockerfile copies it as is)
#
# The binary is statically linked: cgo (pg_query's C parser) compiled with
# musl-gcc for linux/amd64 (Debian package musl-tools), and with Debian's
# aarch64 cross gcc against its static glibc for linux/arm64 when
# aarch64-linux-gnu-gcc is installed (gcc-aarch64-linux-gnu). Both use the
# pure-Go resolver and user lookup (netgo, osusergo), so nothing is loaded at
# run time. See docs/install.md.
#
# Builds are reproducible: -trimpath, an empty build id, version, commit and
# date taken from git (the commit's date, not the clock), and archives with
# sorted names, fixed owner and mtime, and gzip without a timestamp.
#
# Environment: DIST, ARCHES (default: amd64, plus arm64 when its toolchain is
# present), VERSION (default: git describe), GO (default: go).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DIST=${DIST:-dist}
PKG=github.com/safemigrate/safemigrate

die() { echo "release: $*" >&2; exit 1; }

if [[ -z "${VERSION:-}" ]]; then
  VERSION=$(git describe --tags --match 'v*' --dirty 2>/dev/null || true)
  if [[ -z "$VERSION" ]]; then
    VERSION="v0.0.0-$(git rev-parse --short=12 HEAD)"
    [[ -n "$(git status --porcelain --untracked-files=no)" ]] && VERSION="$VERSION-dirty"
  fi
fi
COMMIT=$(git rev-parse HEAD)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH

if [[ -z "${ARCHES:-}" ]]; then
  ARCHES=amd64
  if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    ARCHES="amd64 arm64"
  else
    echo "release: aarch64-linux-gnu-gcc not found (apt-get install gcc-aarch64-linux-gnu); building linux/amd64 only" >&2
  fi
fi

cc_for() {
  case "$1" in
    amd64) echo musl-gcc ;;
    arm64) echo aarch64-linux-gnu-gcc ;;
    *) die "unsupported architecture $1 (amd64 or arm64)" ;;
  esac
}

LDFLAGS="-s -w -buildid= \
 -X $PKG/internal/cli.stampedVersion=$VERSION \
 -X $PKG/internal/cli.stampedCommit=$COMMIT \
 -X $PKG/internal/cli.stampedDate=$DATE \
 -linkmode external -extldflags '-static -Wl,--build-id=none'"

rm -rf "$DIST"
mkdir -p "$DIST"
archives=()
for arch in $ARCHES; do
  cc=$(cc_for "$arch")
  command -v "$cc" >/dev/null 2>&1 ||
    die "$cc not found: install it (apt-get install -y $([[ $arch == amd64 ]] && echo musl-tools || echo gcc-aarch64-linux-gnu)) or set ARCHES"
  out="$DIST/linux_$arch/safemigrate"
  echo "== building $out ($VERSION, CC=$cc)"
  CGO_ENABLED=1 GOOS=linux GOARCH=$arch CC=$cc \
    "$GO" build -trimpath -buildvcs=false -tags netgo,osusergo \
    -ldflags "$LDFLAGS" -o "$out" ./cmd/safemigrate

  # The archive: binary plus the licence texts it must carry.
  name="safemigrate_${VERSION}_linux_${arch}"
  stage="$DIST/.stage/$name"
  mkdir -p "$stage"
  cp "$out" LICENSE THIRD_PARTY_NOTICES.md README.md CHANGELOG.md "$stage/"
  chmod 0755 "$stage/safemigrate"
  chmod 0644 "$stage"/*.md "$stage/LICENSE"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$DIST/.stage" -cf - "$name" | gzip -n -9 >"$DIST/$name.tar.gz"
  archives+=("$name.tar.gz")

  # The container image's file tree (Dockerfile: COPY dist/rootfs-$TARGETARCH/ /).
  root="$DIST/rootfs-$arch"
  mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/work" "$root/tmp"
  cp "$out" "$root/usr/local/bin/safemigrate"
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] ||
    die "/etc/ssl/certs/ca-certificates.crt not found: apt-get install -y ca-certificates"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/work:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  chown 65532:65532 "$root/work" 2>/dev/null || true
done
rm -rf "$DIST/.stage"

(cd "$DIST" && sha256sum "${archives[@]}" >SHA256SUMS)
echo "== $DIST/SHA256SUMS"
cat "$DIST/SHA256SUMS"
