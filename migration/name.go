package migration

import (
	"cmp"
	"strings"
)

// ParseName reads the last segment of a migration ID, in any layout
// (docs/file-format.md): "0003_add_email" gives ("0003", "add_email",
// true); a Flyway ID "1.2__add_users" gives ("1.2", "add_users", true).
// version is one or more ASCII digits, or dot-separated runs of them
// followed by "__"; then "_" and a non-empty name. ok is false for
// anything else ("create_users", "0001", "0001_", "1.2_x").
//
// It is the only place the rule is read: the loader's per-layout
// file-name rules, lint, `new` and the dependency references all go
// through it (or [ParseID], [IsVersion]).
func ParseName(base string) (version, name string, ok bool) {
	i, dotted := 0, false
	for {
		j := i
		for j < len(base) && isDigit(base[j]) {
			j++
		}
		if j == i {
			return "", "", false
		}
		i = j
		if i+1 < len(base) && base[i] == '.' && isDigit(base[i+1]) {
			i, dotted = i+1, true
			continue
		}
		break
	}
	if i == len(base) || base[i] != '_' || i+1 == len(base) {
		return "", "", false
	}
	version, name = base[:i], base[i+1:]
	if dotted { // a dotted (Flyway) version is followed by "__"
		if name, ok = strings.CutPrefix(name, "_"); !ok || name == "" {
			return "", "", false
		}
	}
	return version, name, true
}

// ParseID splits a migration ID into its chain ("" for the root chain),
// version and name: "billing/0002_invoices" gives ("billing", "0002",
// "invoices", true). ok is false when the last segment breaks the
// [ParseName] rule or the ID has more than one chain level.
func ParseID(id string) (chain, version, name string, ok bool) {
	base := id
	if c, b, found := strings.Cut(id, "/"); found {
		if c == "" || strings.Contains(b, "/") {
			return "", "", "", false
		}
		chain, base = c, b
	}
	version, name, ok = ParseName(base)
	if !ok {
		return chain, "", "", false
	}
	return chain, version, name, true
}

// IsVersion reports whether s is a version: one or more ASCII digits, or
// (Flyway) runs of them separated by single dots ("1.2.10").
func IsVersion(s string) bool {
	for seg := range strings.SplitSeq(s, ".") {
		if !isDigits(seg) {
			return false
		}
	}
	return true
}

// CompareVersions compares two versions as numbers of any length; dotted
// (Flyway) versions compare segment by segment, a missing segment counting
// as 0, so 1.2 < 1.10 and 1.0 equals 1.
func CompareVersions(a, b string) int {
	for a != "" || b != "" {
		var sa, sb string
		sa, a, _ = strings.Cut(a, ".")
		sb, b, _ = strings.Cut(b, ".")
		if c := compareDigits(sa, sb); c != 0 {
			return c
		}
	}
	return 0
}

// compareDigits compares two digit strings as numbers ("" is 0).
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
