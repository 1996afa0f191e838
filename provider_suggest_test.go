package safemigrate_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
)

// TestSuggestJSONPositions: annotate's JSON gave a file that does not
// parse no `line` (the position was only inside `reason`), and showed an
// invalid safe directive as "declared": "(invalid)" instead of null with
// an error saying what is wrong (docs/json.md).
func TestSuggestJSONPositions(t *testing.T) {
	fsys := fstest.MapFS{
		"0001_users.sql":  {Data: []byte("-- safe: before_deploy\nCREATE TABLE users (id bigint PRIMARY KEY);\n")},
		"0002_typo.sql":   {Data: []byte("-- safe: befor_deploy\nALTER TABLE users ADD COLUMN email text;\n")},
		"0003_broken.sql": {Data: []byte("-- safe: always\nUPDATE users SET email = NULL WHERE id = 1;\nSELEC 1;\n")},
	}
	p, err := safemigrate.New(fsys)
	require.NoError(t, err)
	rep, err := p.Suggest(context.Background(), safemigrate.SuggestOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Migrations, 3)

	typo := rep.Migrations[1]
	assert.Nil(t, typo.Declared)
	assert.Contains(t, typo.Error, "0002_typo.sql:1: ")
	assert.Contains(t, typo.Error, "befor_deploy")
	assert.True(t, typo.Differs)

	broken := rep.Migrations[2]
	assert.Nil(t, broken.Suggested)
	assert.Equal(t, 3, broken.Line)
	assert.Equal(t, 1, broken.Column)
	assert.Contains(t, broken.Reason, "syntax error")
	assert.NotContains(t, broken.Reason, "3:1:", "the position is in line and column")

	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var doc struct {
		Migrations []map[string]any `json:"migrations"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Contains(t, doc.Migrations[1], "declared")
	assert.Nil(t, doc.Migrations[1]["declared"])
	assert.NotEmpty(t, doc.Migrations[1]["error"])
	assert.EqualValues(t, 3, doc.Migrations[2]["line"])
}
