package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LargeTable is lint's large_table: a size, a row count, or both
// ("1GB", "10M rows", "1GB or 10M rows"). A table over either limit makes
// a lock or rewrite finding an error (`lint --database-url`); a limit the
// value leaves out is off.
type LargeTable struct {
	// Bytes and Rows are the limits; -1 when the value leaves one out.
	Bytes, Rows int64
	Set         bool
}

var (
	sizeRE  = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(bytes|b|kb|mb|gb|tb)$`)
	countRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(k|m|g)?\s+rows?$`)
)

var sizeUnits = map[string]float64{"bytes": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}
var countUnits = map[string]float64{"": 1, "k": 1e3, "m": 1e6, "g": 1e9}

// ParseLargeTable reads a large_table value.
func ParseLargeTable(s string) (LargeTable, error) {
	lt := LargeTable{Bytes: -1, Rows: -1, Set: true}
	parts := strings.FieldsFunc(strings.ReplaceAll(strings.ToLower(s), " or ", ","), func(r rune) bool { return r == ',' })
	if len(parts) == 0 {
		return LargeTable{}, fmt.Errorf("large_table is empty; give a size, a row count or both, e.g. \"1GB or 10M rows\"")
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if m := sizeRE.FindStringSubmatch(p); m != nil && lt.Bytes < 0 {
			v, _ := strconv.ParseFloat(m[1], 64)
			lt.Bytes = int64(math.Min(v*sizeUnits[m[2]], math.MaxInt64))
			continue
		}
		if m := countRE.FindStringSubmatch(p); m != nil && lt.Rows < 0 {
			v, _ := strconv.ParseFloat(m[1], 64)
			lt.Rows = int64(math.Min(v*countUnits[m[2]], math.MaxInt64))
			continue
		}
		return LargeTable{}, fmt.Errorf("large_table: %q is not a size (\"1GB\", \"500 MB\") or a row count (\"10M rows\"); give one of each at most, e.g. \"1GB or 10M rows\"", strings.TrimSpace(p))
	}
	return lt, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *LargeTable) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseLargeTable(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*l = v
	return nil
}
