package lint_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/lint"
	"github.com/safemigrate/safemigrate/migration"
)

// TestWriteLoadErrors: a load error not tied to a file is an annotation
// without file and a SARIF result without location; text and json print
// nothing (the command's error says it).
func TestWriteLoadErrors(t *testing.T) {
	errs := []lint.LoadError{
		{File: "m/0002_b.sql", Line: 3, Message: "bad: 100%, a:b\nsecond line"},
		{Message: "cannot lint nope: no such file"},
	}
	var gh bytes.Buffer
	require.NoError(t, lint.WriteLoadErrors(&gh, "github", errs, lint.WriteOptions{}))
	assert.Equal(t, "::error file=m/0002_b.sql,line=3,title=safemigrate load-error::bad: 100%25, a:b%0Asecond line\n"+
		"::error title=safemigrate load-error::cannot lint nope: no such file\n", gh.String())

	var sarif bytes.Buffer
	require.NoError(t, lint.WriteLoadErrors(&sarif, "sarif", errs, lint.WriteOptions{}))
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string            `json:"ruleId"`
				Locations []json.RawMessage `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(sarif.Bytes(), &doc))
	require.Len(t, doc.Runs[0].Results, 2)
	assert.Len(t, doc.Runs[0].Results[0].Locations, 1)
	assert.Empty(t, doc.Runs[0].Results[1].Locations)
	assert.Contains(t, sarif.String(), `"uri": "m/0002_b.sql"`)
	assert.Contains(t, sarif.String(), `"startLine": 3`)

	for _, f := range []string{"text", "json"} {
		var out bytes.Buffer
		require.NoError(t, lint.WriteLoadErrors(&out, f, errs, lint.WriteOptions{}))
		assert.Empty(t, out.String(), f)
	}
}

// TestLoadErrorsOf: each file error of a (wrapped) load error, with its
// position; any other error as its message.
func TestLoadErrorsOf(t *testing.T) {
	le := &migration.LoadError{Errors: []*migration.FileError{{File: "m/001_b.sql", Message: "duplicate version"}, {File: "m/0002_c.sql", Line: 2, Message: "cycle"}}}
	assert.Equal(t, []lint.LoadError{{File: "m/001_b.sql", Message: "duplicate version"}, {File: "m/0002_c.sql", Line: 2, Message: "cycle"}},
		lint.LoadErrorsOf(fmt.Errorf("2 problems in m: %w", le)))
	assert.Equal(t, []lint.LoadError{{Message: "cannot lint nope"}}, lint.LoadErrorsOf(errors.New("cannot lint nope")))
}
