package release_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// repo is the repository root, relative to this package.
const repo = "../.."

const (
	example = repo + "/migrations_example"
	broken  = "testdata/broken"
)

// Values stamped into the test binary the way scripts/release.sh does.
const (
	stampVersion = "v9.8.7"
	stampCommit  = "0123456789abcdef0123456789abcdef01234567"
	stampDate    = "2026-01-02T03:04:05Z"
)

var (
	buildOnce sync.Once
	binPath   string
	buildOut  []byte
	buildErr  error
)

// binary builds cmd/safemigrate once for the package's tests, stamped with
// version, commit and date through the same -X flags as scripts/release.sh.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "safemigrate-release-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "safemigrate")
		pkg := "github.com/safemigrate/safemigrate/internal/cli."
		ldflags := "-X " + pkg + "stampedVersion=" + stampVersion +
			" -X " + pkg + "stampedCommit=" + stampCommit +
			" -X " + pkg + "stampedDate=" + stampDate
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", binPath, "./cmd/safemigrate")
		cmd.Dir = repo
		buildOut, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "go build: %s", buildOut)
	return binPath
}

// sh runs a command and returns stdout, stderr and the exit code.
func sh(t *testing.T, dir string, env []string, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err, "%s %v", name, args)
	}
	return out.String(), errb.String(), code
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

func TestVersionStamped(t *testing.T) {
	bin := binary(t)
	out, stderr, code := sh(t, ".", nil, bin, "version")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "safemigrate "+stampVersion+"\n")
	assert.Contains(t, out, "commit   "+stampCommit+" "+stampDate)
	assert.NotContains(t, out, "modified")

	out, stderr, code = sh(t, ".", nil, bin, "version", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	assert.Equal(t, stampVersion, doc["version"])
	assert.Equal(t, stampCommit, doc["commit"])
	assert.Equal(t, stampDate, doc["time"])
}

func TestNoticesCurrent(t *testing.T) {
	got := filepath.Join(t.TempDir(), "notices.md")
	_, stderr, code := sh(t, repo, nil, "./scripts/notices.sh", got)
	require.Equal(t, 0, code, stderr)
	want, err := os.ReadFile(filepath.Join(repo, "THIRD_PARTY_NOTICES.md"))
	require.NoError(t, err)
	gotb, err := os.ReadFile(got)
	require.NoError(t, err)
	require.Equal(t, string(want), string(gotb), "THIRD_PARTY_NOTICES.md is out of date: run scripts/notices.sh")
	for _, s := range []string{"github.com/pganalyze/pg_query_go/v6", "LICENSE.POSTGRESQL:", "PostgreSQL Database Management System", "musl"} {
		assert.Contains(t, string(gotb), s)
	}
}

// dockerfile returns the Dockerfile's instructions: keyword and the rest.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	require.NoError(t, err)
	var ins [][2]string
	var cont string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = cont + line
		if strings.HasSuffix(line, "\\") {
			cont = strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cont = ""
		kw, rest, _ := strings.Cut(line, " ")
		ins = append(ins, [2]string{strings.ToUpper(kw), strings.TrimSpace(rest)})
	}
	return ins
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	got := map[string][]string{}
	for _, in := range ins {
		got[in[0]] = append(got[in[0]], in[1])
	}
	assert.Equal(t, []string{"scratch"}, got["FROM"], "the image is the release tree alone")
	assert.Equal(t, []string{"dist/rootfs-${TARGETARCH}/ /"}, got["COPY"], "the image copies the tree make release built and tested")
	for _, kw := range []string{"RUN", "ADD"} {
		assert.Empty(t, got[kw], "%s would add something make release has not tested", kw)
	}
	require.Len(t, got["USER"], 1)
	uid, _, _ := strings.Cut(got["USER"][0], ":")
	assert.Regexp(t, `^[1-9][0-9]*$`, uid, "USER must be a numeric non-root uid (scratch has no user database to resolve names)")
	assert.Equal(t, []string{"/work"}, got["WORKDIR"])
	assert.Equal(t, []string{`["safemigrate"]`}, got["ENTRYPOINT"])

	// scripts/release.sh builds exactly that tree.
	script, err := os.ReadFile(filepath.Join(repo, "scripts", "release.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(script), `root="$DIST/rootfs-$arch"`)
	assert.Contains(t, string(script), "nonroot:x:"+uid+":")

	ignore, err := os.ReadFile(filepath.Join(repo, ".dockerignore"))
	require.NoError(t, err)
	assert.Contains(t, string(ignore), "!dist/rootfs-*/")
}

type action struct {
	Name    string
	Inputs  map[string]struct{ Description, Default string }
	Outputs map[string]struct{ Description, Value string }
	Runs    struct {
		Using string
		Steps []struct {
			Name, Shell, Run, Uses, If, ID string
			Env                            map[string]string
		}
	}
}

func TestActionYAMLShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "action.yml"))
	require.NoError(t, err)
	var a action
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal(b, &raw))
	for k := range raw {
		assert.Contains(t, []string{"name", "description", "author", "branding", "inputs", "outputs", "runs"}, k, "unknown top-level key in action.yml")
	}
	require.NoError(t, yaml.Unmarshal(b, &a))
	assert.NotEmpty(t, a.Name)
	assert.Equal(t, "composite", a.Runs.Using)
	for _, in := range []string{"version", "dir", "config", "changed-since", "fail-on-warnings", "sarif"} {
		assert.Contains(t, a.Inputs, in)
		assert.NotEmpty(t, a.Inputs[in].Description, in)
	}
	scripts := map[string]bool{}
	for _, s := range a.Runs.Steps {
		if s.Uses == "" {
			assert.Equal(t, "bash", s.Shell, "step %q: composite run steps need shell", s.Name)
			require.NotEmpty(t, s.Run, s.Name)
		}
		for _, m := range regexp.MustCompile(`scripts/action/[a-z-]+\.sh`).FindAllString(s.Run, -1) {
			scripts[m] = true
			text, err := os.ReadFile(filepath.Join(repo, m))
			require.NoError(t, err, "step %q runs %s", s.Name, m)
			fi, err := os.Stat(filepath.Join(repo, m))
			require.NoError(t, err)
			assert.NotZero(t, fi.Mode()&0o111, "%s must be executable", m)
			for k := range s.Env {
				assert.Contains(t, string(text), "${"+k, "step %q sets %s, which %s never reads", s.Name, k, m)
			}
		}
		for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(strings.Join(envValues(s.Env), " ")+s.If, -1) {
			assert.Contains(t, a.Inputs, m[1], "step %q uses an undeclared input", s.Name)
		}
	}
	assert.Equal(t, map[string]bool{"scripts/action/install.sh": true, "scripts/action/lint.sh": true}, scripts)
}

func envValues(m map[string]string) []string {
	var v []string
	for _, s := range m {
		v = append(v, s)
	}
	return v
}

// TestActionLint runs the action's lint step locally, as the action does.
func TestActionLint(t *testing.T) {
	bin := binary(t)
	script := abs(t, filepath.Join(repo, "scripts", "action", "lint.sh"))

	out, stderr, code := sh(t, ".", []string{"SAFEMIGRATE=" + bin, "DIR=" + example}, script)
	assert.Equal(t, 0, code, "clean example: %s%s", out, stderr)
	assert.NotContains(t, out, "::error")

	sarif := filepath.Join(t.TempDir(), "lint.sarif")
	out, stderr, code = sh(t, ".", []string{"SAFEMIGRATE=" + bin, "DIR=" + broken, "SARIF=" + sarif}, script)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "::error file=testdata/broken/0002_drop_email.sql,line=2")
	assert.Contains(t, out, "title=safemigrate contract-before-deploy::")
	assert.Contains(t, out, "::error file=testdata/broken/0003_no_safe.sql,line=1")
	b, err := os.ReadFile(sarif)
	require.NoError(t, err)
	var doc struct {
		Version string
		Runs    []struct{ Results []struct{ RuleID string } }
	}
	require.NoError(t, json.Unmarshal(b, &doc), "SARIF file: %s", b)
	assert.Equal(t, "2.1.0", doc.Version)
	require.Len(t, doc.Runs, 1)
	assert.NotEmpty(t, doc.Runs[0].Results)

	// A warning alone fails only with fail-on-warnings.
	warn := t.TempDir()
	copyFile(t, filepath.Join(broken, "0001_create_users.sql"), filepath.Join(warn, "0001_create_users.sql"))
	require.NoError(t, os.WriteFile(filepath.Join(warn, "0002_drop_email.sql"), []byte("-- safe: after_deploy\nALTER TABLE users DROP COLUMN email;\n"), 0o644))
	out, _, code = sh(t, ".", []string{"SAFEMIGRATE=" + bin, "DIR=" + warn}, script)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "::warning ")
	_, _, code = sh(t, ".", []string{"SAFEMIGRATE=" + bin, "DIR=" + warn, "FAIL_ON_WARNINGS=true"}, script)
	assert.Equal(t, 1, code)
}

// TestActionLintChangedSince: only files changed since the ref are reported.
func TestActionLintChangedSince(t *testing.T) {
	bin := binary(t)
	script := abs(t, filepath.Join(repo, "scripts", "action", "lint.sh"))
	work := gitRepo(t, broken, "0001_create_users.sql", "0002_drop_email.sql")
	copyFile(t, filepath.Join(broken, "0003_no_safe.sql"), filepath.Join(work, "migrations", "0003_no_safe.sql"))
	git(t, work, "add", ".")

	out, stderr, code := sh(t, work, []string{"SAFEMIGRATE=" + bin, "DIR=migrations", "CHANGED_SINCE=HEAD"}, script)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "0003_no_safe.sql")
	assert.NotContains(t, out, "0002_drop_email.sql", "unchanged files are not reported")

	git(t, work, "commit", "-qm", "add 0003")
	out, stderr, code = sh(t, work, []string{"SAFEMIGRATE=" + bin, "DIR=migrations", "CHANGED_SINCE=HEAD"}, script)
	assert.Equal(t, 0, code, "nothing changed: %s%s", out, stderr)
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
}

// gitRepo makes a git repository with files from src in migrations/, committed.
func gitRepo(t *testing.T, src string, files ...string) string {
	t.Helper()
	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "migrations"), 0o755))
	for _, f := range files {
		copyFile(t, filepath.Join(src, f), filepath.Join(work, "migrations", f))
	}
	git(t, work, "init", "-q")
	git(t, work, "add", ".")
	git(t, work, "commit", "-qm", "init")
	return work
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

// fakeRelease lays out a release the way the release workflow publishes
// it: BASE/VERSION/<archive> and BASE/VERSION/SHA256SUMS.
func fakeRelease(t *testing.T, bin, version, arch string) (base, archive string) {
	t.Helper()
	base = t.TempDir()
	dir := filepath.Join(base, version)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	name := "safemigrate_" + version + "_linux_" + arch
	archive = filepath.Join(dir, name+".tar.gz")
	f, err := os.Create(archive)
	require.NoError(t, err)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	body, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: name + "/safemigrate", Mode: 0o755, Size: int64(len(body))}))
	_, err = tw.Write(body)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	require.NoError(t, f.Close())
	sum := sha256.Sum256(mustRead(t, archive))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(hex.EncodeToString(sum[:])+"  "+name+".tar.gz\n"), 0o644))
	return base, archive
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// TestActionInstall runs the action's install step against a release laid
// out locally (file:// URLs): the checksum is verified before installing.
func TestActionInstall(t *testing.T) {
	bin := binary(t)
	script := abs(t, filepath.Join(repo, "scripts", "action", "install.sh"))
	arch := runtime.GOARCH
	base, archive := fakeRelease(t, bin, "v9.8.7", arch)

	dest := filepath.Join(t.TempDir(), "bin")
	ghpath := filepath.Join(t.TempDir(), "github_path")
	env := []string{"VERSION=v9.8.7", "BASE_URL=file://" + base, "DEST=" + dest, "GITHUB_PATH=" + ghpath, "RUNNER_ARCH=" + map[string]string{"amd64": "X64", "arm64": "ARM64"}[arch]}
	out, stderr, code := sh(t, ".", env, script)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, filepath.Join(dest, "safemigrate"), lines[len(lines)-1])
	assert.Contains(t, stderr, "safemigrate "+stampVersion)
	assert.Equal(t, dest+"\n", string(mustRead(t, ghpath)))

	// A tampered archive is refused and nothing is installed.
	require.NoError(t, os.WriteFile(archive, append(mustRead(t, archive), 0), 0o644))
	dest2 := filepath.Join(t.TempDir(), "bin")
	env[2] = "DEST=" + dest2
	_, stderr, code = sh(t, ".", env, script)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "checksum mismatch")
	assert.NoFileExists(t, filepath.Join(dest2, "safemigrate"))

	// A version that does not exist says so.
	env[0] = "VERSION=v0.0.1"
	_, stderr, code = sh(t, ".", env, script)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "could not download")
}

type hook struct {
	ID, Name, Entry, Language, Files string
	PassFilenames                    *bool `yaml:"pass_filenames"`
}

func hooks(t *testing.T) map[string]hook {
	t.Helper()
	var hs []hook
	require.NoError(t, yaml.Unmarshal(mustRead(t, filepath.Join(repo, ".pre-commit-hooks.yaml")), &hs))
	m := map[string]hook{}
	for _, h := range hs {
		assert.NotEmpty(t, h.Name, h.ID)
		assert.Equal(t, "golang", h.Language, "%s: built from this repository's go.mod", h.ID)
		assert.Equal(t, `\.sql$`, h.Files, h.ID)
		require.NotNil(t, h.PassFilenames, h.ID)
		assert.False(t, *h.PassFilenames, "%s: the graph needs the whole directory", h.ID)
		assert.True(t, strings.HasPrefix(h.Entry, "safemigrate "), h.ID)
		m[h.ID] = h
	}
	return m
}

// runHook runs a hook's entry the way pre-commit does (entry, then args;
// no file names), with the test binary standing for safemigrate.
func runHook(t *testing.T, bin, dir string, h hook, args ...string) (string, string, int) {
	t.Helper()
	words := strings.Fields(h.Entry)
	return sh(t, dir, nil, bin, append(words[1:], args...)...)
}

func TestPreCommitHooks(t *testing.T) {
	bin := binary(t)
	hs := hooks(t)
	require.Contains(t, hs, "safemigrate-lint")
	require.Contains(t, hs, "safemigrate-annotate")

	// The example passes both and is left untouched.
	ex, err := filepath.Glob(filepath.Join(example, "*.sql"))
	require.NoError(t, err)
	var names []string
	for _, f := range ex {
		names = append(names, filepath.Base(f))
	}
	work := gitRepo(t, example, names...)
	out, stderr, code := runHook(t, bin, work, hs["safemigrate-lint"])
	assert.Equal(t, 0, code, out+stderr)
	_, stderr, code = runHook(t, bin, work, hs["safemigrate-annotate"])
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, gitStatus(t, work), "annotate changed a fully annotated example")

	// The broken fixture fails lint, and annotate fills in the missing value
	// (pre-commit fails a hook that modifies files).
	work = gitRepo(t, broken, "0001_create_users.sql", "0002_drop_email.sql", "0003_no_safe.sql")
	out, _, code = runHook(t, bin, work, hs["safemigrate-lint"])
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "contract-before-deploy")
	assert.Contains(t, out, "missing-safe")
	_, stderr, code = runHook(t, bin, work, hs["safemigrate-annotate"])
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, " M migrations/0003_no_safe.sql\n", gitStatus(t, work))
	assert.True(t, strings.HasPrefix(string(mustRead(t, filepath.Join(work, "migrations", "0003_no_safe.sql"))), "-- safe: before_deploy\n"))
}

func gitStatus(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("git", "status", "--porcelain")
	cmd.Dir = dir
	out, err := cmd.Output()
	require.NoError(t, err)
	return string(out)
}

// ---- checks of `make release` output (SAFEMIGRATE_RELEASE_DIST) ----

func dist(t *testing.T) string {
	t.Helper()
	d := os.Getenv("SAFEMIGRATE_RELEASE_DIST")
	if d == "" {
		t.Skip("checks make release output: run make release, then SAFEMIGRATE_RELEASE_DIST=$PWD/dist go test -run TestDist ./internal/release/ (.ci/run does)")
	}
	return d
}

func distBinaries(t *testing.T, d string) map[string]string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(d, "linux_*", "safemigrate"))
	require.NoError(t, err)
	require.NotEmpty(t, m, "no binaries in %s", d)
	bins := map[string]string{}
	for _, p := range m {
		bins[strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "linux_")] = p
	}
	require.Contains(t, bins, "amd64")
	return bins
}

func TestDistStatic(t *testing.T) {
	d := dist(t)
	for arch, p := range distBinaries(t, d) {
		t.Run(arch, func(t *testing.T) {
			f, err := elf.Open(p)
			require.NoError(t, err)
			defer f.Close()
			for _, prog := range f.Progs {
				assert.NotEqual(t, elf.PT_INTERP, prog.Type, "%s has a dynamic loader (PT_INTERP)", p)
				assert.NotEqual(t, elf.PT_DYNAMIC, prog.Type, "%s has a dynamic section", p)
			}
			libs, _ := f.ImportedLibraries()
			assert.Empty(t, libs)
			assert.Equal(t, map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch], f.Machine)
			out, _ := exec.Command("ldd", p).CombinedOutput()
			assert.Contains(t, string(out), "not a dynamic executable")
			// No build id or path of the build machine in the binary.
			body := mustRead(t, p)
			assert.False(t, bytes.Contains(body, []byte(abs(t, repo))), "the checkout path is in the binary (missing -trimpath)")
			assert.Nil(t, f.Section(".note.go.buildid"), "a Go build id varies between builds")
			assert.Nil(t, f.Section(".note.gnu.build-id"), "no linker build id (-Wl,--build-id=none)")
		})
	}
}

func TestDistChecksumsAndArchives(t *testing.T) {
	d := dist(t)
	bins := distBinaries(t, d)
	f, err := os.Open(filepath.Join(d, "SHA256SUMS"))
	require.NoError(t, err)
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, "SHA256SUMS line %q", sc.Text())
		got := sha256.Sum256(mustRead(t, filepath.Join(d, name)))
		assert.Equal(t, sum, hex.EncodeToString(got[:]), name)
		listed[name] = true
	}
	archives, _ := filepath.Glob(filepath.Join(d, "*.tar.gz"))
	assert.Len(t, listed, len(archives), "every archive is in SHA256SUMS")
	assert.Len(t, archives, len(bins))
	for _, a := range archives {
		assert.True(t, listed[filepath.Base(a)], "%s missing from SHA256SUMS", a)
		base := strings.TrimSuffix(filepath.Base(a), ".tar.gz")
		arch := base[strings.LastIndex(base, "_")+1:]
		files := untar(t, a)
		for _, n := range []string{"safemigrate", "LICENSE", "THIRD_PARTY_NOTICES.md", "README.md", "CHANGELOG.md"} {
			assert.Contains(t, files, base+"/"+n, a)
		}
		assert.Equal(t, mustRead(t, bins[arch]), files[base+"/safemigrate"], "%s holds the binary of linux_%s", a, arch)
	}
}

func untar(t *testing.T, p string) map[string][]byte {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		assert.Zero(t, h.Uid, "archive entries belong to uid 0")
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[h.Name] = b
	}
	return files
}

// TestDistEmptyRoot runs the static binary with nothing else around it:
// first in a directory holding only the binary, then in the container
// image's tree (dist/rootfs-<arch>, what the Dockerfile copies) as its
// non-root user in its working directory, linting a bind-mounted
// migrations directory as `docker run -v …:/work/migrations` would.
func TestDistEmptyRoot(t *testing.T) {
	d := dist(t)
	if os.Geteuid() != 0 {
		t.Skip("chroot and mount need root")
	}
	bins := distBinaries(t, d)
	bin, ok := bins[runtime.GOARCH]
	require.True(t, ok, "no binary for this machine's architecture %s", runtime.GOARCH)
	src := abs(t, example)

	t.Run("only the binary", func(t *testing.T) {
		root := t.TempDir()
		copyFile(t, bin, filepath.Join(root, "safemigrate"))
		require.NoError(t, os.Chmod(filepath.Join(root, "safemigrate"), 0o755))
		require.NoError(t, os.Mkdir(filepath.Join(root, "m"), 0o755))
		entries, _ := os.ReadDir(root)
		assert.Len(t, entries, 2, "the root holds the binary and the mount point only")

		out, stderr, code := sh(t, "/", nil, "chroot", root, "/safemigrate", "version")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "platform linux/"+runtime.GOARCH)
		out, stderr, code = sh(t, "/", nil, "unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$1" "$2/m" && exec chroot "$2" /safemigrate lint --dir /m`, "sh", src, root)
		assert.Equal(t, 0, code, out+stderr)
		assert.Contains(t, out, "No problems")
	})

	t.Run("the image tree", func(t *testing.T) {
		tree := filepath.Join(d, "rootfs-"+runtime.GOARCH)
		root := t.TempDir()
		out, err := exec.Command("cp", "-a", tree+"/.", root).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NoError(t, os.MkdirAll(filepath.Join(root, "work", "migrations"), 0o755))
		uid := imageUser(t)
		run := func(target string, args ...string) (string, string, int) {
			// PATH as the Dockerfile sets it; the command as ENTRYPOINT names it.
			// sh -c SCRIPT sh SRC ROOT UID ARGS...
			script := `mount --bind "$1" "$2/work/migrations" && r="$2" u="$3" us=$(command -v unshare) && shift 3 &&
exec env -i PATH=/usr/local/bin "$us" --root="$r" --wd=/work --setuid="$u" --setgid="$u" safemigrate "$@"`
			return sh(t, "/", nil, "unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", target, root, uid}, args...)...)
		}
		out2, stderr, code := run(src, "version")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out2, "platform linux/"+runtime.GOARCH)
		// lint with the default directory: WORKDIR /work + migrations.
		out2, stderr, code = run(src, "lint")
		assert.Equal(t, 0, code, out2+stderr)
		assert.Contains(t, out2, "No problems")
		out2, _, code = run(abs(t, broken), "lint", "--format", "github")
		assert.Equal(t, 1, code)
		assert.Contains(t, out2, "::error file=migrations/0002_drop_email.sql")
		// The non-root user cannot write to the read-only-by-others tree.
		_, stderr, code = run(src, "new", "x", "--safe", "always", "--dir", "/usr/local/bin")
		assert.Equal(t, 2, code, "the image user could write into /usr/local/bin: %s", stderr)
		assert.Contains(t, stderr, "permission denied")
	})
}

// TestDistOtherArch runs the binaries built for another architecture
// through qemu user emulation (Debian's qemu-user-static), when installed.
func TestDistOtherArch(t *testing.T) {
	d := dist(t)
	ran := 0
	for arch, bin := range distBinaries(t, d) {
		if arch == runtime.GOARCH {
			continue
		}
		qemu, err := exec.LookPath("qemu-" + map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[arch] + "-static")
		if err != nil {
			t.Logf("linux/%s not run: no %s (apt-get install qemu-user-static)", arch, qemu)
			continue
		}
		out, stderr, code := sh(t, ".", nil, qemu, bin, "version")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "platform linux/"+arch)
		out, stderr, code = sh(t, ".", nil, qemu, bin, "lint", "--dir", example)
		assert.Equal(t, 0, code, out+stderr)
		assert.Contains(t, out, "No problems")
		ran++
	}
	if ran == 0 {
		t.Skip("no binary of another architecture could be run")
	}
}

// imageUser is the uid of the Dockerfile's USER.
func imageUser(t *testing.T) string {
	t.Helper()
	for _, in := range dockerfile(t) {
		if in[0] == "USER" {
			uid, _, _ := strings.Cut(in[1], ":")
			return uid
		}
	}
	t.Fatal("Dockerfile has no USER")
	return ""
}

// TestDistReproducible rebuilds the host architecture's release into
// another directory and compares the archives byte for byte.
func TestDistReproducible(t *testing.T) {
	d := dist(t)
	again := t.TempDir()
	cmd := exec.Command("./scripts/release.sh")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "DIST="+again, "ARCHES="+runtime.GOARCH)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	got, _ := filepath.Glob(filepath.Join(again, "*.tar.gz"))
	require.Len(t, got, 1)
	want := filepath.Join(d, filepath.Base(got[0]))
	assert.Equal(t, mustRead(t, want), mustRead(t, got[0]), "a second build of %s differs", filepath.Base(got[0]))
}

type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name, Uses, Run string
			With            map[string]any
		}
	}
}

func readWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b := mustRead(t, filepath.Join(repo, ".github", "workflows", name))
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w), name)
	require.NotEmpty(t, w.Jobs, name)
	var runs []string
	for _, j := range w.Jobs {
		assert.NotEmpty(t, j.RunsOn)
		for _, s := range j.Steps {
			assert.True(t, (s.Uses == "") != (s.Run == ""), "%s: step %q needs exactly one of uses and run", name, s.Name)
			runs = append(runs, s.Run, s.Uses)
			for k, v := range s.With {
				runs = append(runs, k+": "+strings.TrimSpace(toString(v)))
			}
		}
	}
	return w, strings.Join(runs, "\n")
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func TestWorkflows(t *testing.T) {
	ci, steps := readWorkflow(t, "ci.yml")
	assert.Contains(t, ci.On, "push")
	assert.Contains(t, ci.On, "pull_request")
	assert.Contains(t, steps, "bash .ci/run", "CI on GitHub runs the same script as the project's CI")
	ciRun := string(mustRead(t, filepath.Join(repo, ".ci", "run")))
	assert.Contains(t, ciRun, "make release")
	assert.Contains(t, ciRun, "TestDist")

	rel, steps := readWorkflow(t, "release.yml")
	require.Contains(t, rel.On, "push")
	push, _ := rel.On["push"].(map[string]any)
	assert.Equal(t, []any{"v*"}, push["tags"], "releases are cut by tags")
	for _, want := range []string{"make release", "TestDist", "dist/*.tar.gz dist/SHA256SUMS", "docker/build-push-action", "platforms: linux/amd64,linux/arm64"} {
		assert.Contains(t, steps, want)
	}
}

// TestDocsYAML parses every yaml block of the install and recipe pages, so
// that what users copy is at least well-formed.
func TestDocsYAML(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(repo, "docs", "recipes", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(repo, "docs", "install.md"))
	blocks := 0
	fence := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	for _, p := range pages {
		for _, m := range fence.FindAllStringSubmatch(string(mustRead(t, p)), -1) {
			var v any
			assert.NoError(t, yaml.Unmarshal([]byte(m[1]), &v), "%s:\n%s", p, m[1])
			assert.NotNil(t, v, p)
			blocks++
		}
	}
	assert.GreaterOrEqual(t, blocks, 7)
}
