#!/usr/bin/env bash
# Installs safemigrate for the GitHub Action (action.yml) or any CI job:
# downloads the release archive for this machine's architecture, checks it
# against the release's SHA256SUMS, and unpacks the binary into $DEST; or,
# with VERSION=source, builds it from the checkout at $SOURCE_DIR.
#
# Environment:
#   VERSION     vX.Y.Z to download, or "source" to build (default: source)
#   DEST        where the binary goes (default: $RUNNER_TEMP/safemigrate/bin or ./.safemigrate/bin)
#   BASE_URL    where releases live (default: the project's GitHub releases);
#               the archive is $BASE_URL/$VERSION/safemigrate_${VERSION}_linux_<arch>.tar.gz
#   ARCH        amd64 or arm64 (default: from RUNNER_ARCH, else uname -m)
#   SOURCE_DIR  the safemigrate source tree for VERSION=source (default: this script's repository)
# Prints the binary's path last; appends its directory to $GITHUB_PATH when set.
set -euo pipefail

VERSION=${VERSION:-source}
BASE_URL=${BASE_URL:-https://github.com/safemigrate/safemigrate/releases/download}
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DEST=${DEST:-${RUNNER_TEMP:-.safemigrate}/safemigrate/bin}

die() { echo "safemigrate install: $*" >&2; exit 1; }

if [[ -z "${ARCH:-}" ]]; then
  case "${RUNNER_ARCH:-$(uname -m)}" in
    X64 | x86_64 | amd64) ARCH=amd64 ;;
    ARM64 | aarch64 | arm64) ARCH=arm64 ;;
    *) die "no release binary for architecture ${RUNNER_ARCH:-$(uname -m)}; use version: source" ;;
  esac
fi
[[ "$(uname -s)" == Linux ]] || die "release binaries are for Linux; on $(uname -s) use version: source"

mkdir -p "$DEST"
if [[ "$VERSION" == source ]]; then
  command -v go >/dev/null || die "version: source needs Go (actions/setup-go) and a C compiler"
  echo "building safemigrate from $SOURCE_DIR" >&2
  (cd "$SOURCE_DIR" && CGO_ENABLED=1 go build -trimpath -o "$DEST/safemigrate" ./cmd/safemigrate)
else
  [[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || die "version \"$VERSION\" is neither vX.Y.Z nor source"
  archive="safemigrate_${VERSION}_linux_${ARCH}.tar.gz"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "downloading $BASE_URL/$VERSION/$archive" >&2
  curl -fsSL --retry 3 -o "$tmp/$archive" "$BASE_URL/$VERSION/$archive" ||
    die "could not download $BASE_URL/$VERSION/$archive; check the version exists"
  curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$BASE_URL/$VERSION/SHA256SUMS" ||
    die "could not download $BASE_URL/$VERSION/SHA256SUMS"
  grep -E "  $archive\$" "$tmp/SHA256SUMS" >"$tmp/want" || die "SHA256SUMS of $VERSION lists no $archive"
  (cd "$tmp" && sha256sum --check --status want) ||
    die "checksum mismatch for $archive: the download is not the released file; not installing it"
  tar -xzf "$tmp/$archive" -C "$tmp"
  install -m 0755 "$tmp/safemigrate_${VERSION}_linux_${ARCH}/safemigrate" "$DEST/safemigrate"
fi
[[ -n "${GITHUB_PATH:-}" ]] && echo "$DEST" >>"$GITHUB_PATH"
"$DEST/safemigrate" version >&2
echo "$DEST/safemigrate"
