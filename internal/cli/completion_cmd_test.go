package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			r := run(t, "completion", shell)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "safemigrate")
			if shell == "fish" {
				assert.Contains(t, r.stdout, "complete -f -c safemigrate")
				return
			}
			assert.Contains(t, r.stdout, "complete -o default -C safemigrate safemigrate")
		})
	}
	r := run(t, "completion", "tcsh")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "bash")
}

// TestCompletionBashSyntax loads the bash script in bash -n, registers it in
// a bash session and checks the registration.
func TestCompletionBashSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	require.NoError(t, err, "bash is needed for this test")
	r := run(t, "completion", "bash")
	require.Equal(t, 0, r.code, r.stderr)
	script := filepath.Join(t.TempDir(), "safemigrate.bash")
	require.NoError(t, os.WriteFile(script, []byte(r.stdout), 0o644))
	out, err := exec.Command(bash, "-n", script).CombinedOutput()
	require.NoError(t, err, "bash -n: %s", out)
	out, err = exec.Command(bash, "-c", "source "+script+" && complete -p safemigrate").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "complete -o default -C 'safemigrate' safemigrate\n", string(out))
}

// complete runs the CLI the way bash's `complete -C` does: COMP_LINE and
// COMP_POINT in the environment, the command name, the current word and
// the previous word as arguments.
func complete(t *testing.T, line string) []string {
	t.Helper()
	t.Setenv("COMP_LINE", line)
	t.Setenv("COMP_POINT", strconv.Itoa(len(line)))
	words := strings.Fields(line)
	cur, prev := "", words[len(words)-1]
	if !strings.HasSuffix(line, " ") {
		cur = words[len(words)-1]
		prev = words[len(words)-2]
	}
	r := run(t, "safemigrate", cur, prev)
	require.Equal(t, 0, r.code, r.stderr)
	got := strings.Fields(r.stdout)
	sort.Strings(got)
	return got
}

func TestCompletionCompletes(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"safemigrate pl", []string{"plan"}},
		{"safemigrate p", []string{"plan", "preflight"}},
		{"safemigrate plan --phase ", []string{"post-deploy", "pre-deploy"}},
		{"safemigrate migrate --phase pr", []string{"pre-deploy"}},
		{"safemigrate completion ", []string{"bash", "fish", "zsh"}},
		{"safemigrate lint --for", []string{"--format"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			assert.Equal(t, tt.want, complete(t, tt.line))
		})
	}
}
