package migration

import "strings"

// ParseName reads the file-name rule of docs/file-format.md from base, a
// file's name without its ".sql" suffix (the last segment of an ID):
// "0003_add_email" gives ("0003", "add_email", true). version is one or
// more ASCII digits, then "_", then a non-empty name. ok is false for
// anything else ("create_users", "0001", "0001_").
//
// It is the only place the rule is read: the loader, lint, `new` and the
// dependency references all go through it (or [ParseID], [IsVersion]).
func ParseName(base string) (version, name string, ok bool) {
	i := 0
	for i < len(base) && isDigit(base[i]) {
		i++
	}
	if i == 0 || i == len(base) || base[i] != '_' || i+1 == len(base) {
		return "", "", false
	}
	return base[:i], base[i+1:], true
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

// IsVersion reports whether s is a version: one or more ASCII digits.
func IsVersion(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
