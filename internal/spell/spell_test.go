package spell_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/internal/spell"
)

func TestClosest(t *testing.T) {
	keys := []string{"safe", "depends", "transaction", "delay"}
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"saftey", 2, "safe"},
		{"depend", 2, "depends"},
		{"transation", 2, "transaction"},
		{"note", 2, ""},
		{"safe", 0, "safe"},
		{"", 2, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, spell.Closest(tt.s, keys, tt.max), tt.s)
	}
}

func TestDistance(t *testing.T) {
	assert.Equal(t, 0, spell.Distance("", ""))
	assert.Equal(t, 3, spell.Distance("", "abc"))
	assert.Equal(t, 1, spell.Distance("befor_deploy", "before_deploy"))
	assert.Equal(t, 2, spell.Distance("saftey", "safe"))
	assert.Equal(t, spell.Distance("kitten", "sitting"), spell.Distance("sitting", "kitten"))
}
