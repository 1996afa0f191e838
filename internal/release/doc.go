// Package release holds the checks of what safemigrate ships: the static
// binaries and archives `make release` builds (scripts/release.sh), the
// container image definition (Dockerfile), the GitHub Action (action.yml
// and scripts/action/), the pre-commit hooks (.pre-commit-hooks.yaml) and
// THIRD_PARTY_NOTICES.md. It has no Go API; everything is in its tests.
//
// `make test` runs the checks that need only a Go toolchain: version
// stamping, the action's scripts, the hooks' commands, the YAML and
// Dockerfile shapes, the notices. The checks of the release artefacts
// themselves (static ELF, `ldd`, checksums, a run in an empty root with
// chroot, reproducibility) need `make release` first and root for chroot;
// they run when SAFEMIGRATE_RELEASE_DIST names the dist directory, as the
// release step of .ci/run does:
//
//	make release
//	SAFEMIGRATE_RELEASE_DIST=$PWD/dist go test -count=1 -run TestDist ./internal/release/
//
// See docs/install.md for what users do with the artefacts.
package release
