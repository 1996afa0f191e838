package cli_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLintLoadErrorFormats: when the migrations do not load (duplicate
// versions, a dependency cycle), `lint --format github` and `--format
// sarif` still print a valid document holding each problem with its file
// and line, for the CI step that reads it; the exit code (2) and the
// message on stderr are those of every load error.
func TestLintLoadErrorFormats(t *testing.T) {
	for _, tt := range []struct{ name, dir, format string }{
		{"lint_dupes.github", "testdata/loaderr/dupes", "github"},
		{"lint_dupes.sarif", "testdata/loaderr/dupes", "sarif"},
		{"lint_cycle.github", "testdata/loaderr/cycle", "github"},
		{"lint_cycle.sarif", "testdata/loaderr/cycle", "sarif"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "lint", tt.dir, "--format", tt.format)
			require.Equal(t, 2, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, "fix them, then run again")
			require.NotEmpty(t, r.stdout)
			if tt.format == "sarif" {
				doc := assertOneJSON(t, r.stdout)
				var log struct {
					Runs []struct {
						Tool struct {
							Driver struct {
								Rules []struct{ ID string } `json:"rules"`
							} `json:"driver"`
						} `json:"tool"`
						Results []struct {
							RuleID    string `json:"ruleId"`
							RuleIndex int    `json:"ruleIndex"`
							Locations []struct {
								PhysicalLocation struct {
									ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
									Region           struct{ StartLine int } `json:"region"`
								} `json:"physicalLocation"`
							} `json:"locations"`
						} `json:"results"`
					} `json:"runs"`
				}
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
				assert.Equal(t, "2.1.0", doc["version"])
				require.Len(t, log.Runs, 1)
				require.NotEmpty(t, log.Runs[0].Results)
				for _, res := range log.Runs[0].Results {
					assert.Equal(t, "load-error", res.RuleID)
					assert.Equal(t, "load-error", log.Runs[0].Tool.Driver.Rules[res.RuleIndex].ID, "ruleIndex points at its rule")
					require.Len(t, res.Locations, 1)
					assert.Contains(t, res.Locations[0].PhysicalLocation.ArtifactLocation.URI, tt.dir+"/")
					assert.Positive(t, res.Locations[0].PhysicalLocation.Region.StartLine)
				}
			} else {
				assert.Regexp(t, `^(::error file=testdata/loaderr/[^,]+,line=\d+,title=safemigrate load-error::[^\n]+\n)+$`, r.stdout)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}
