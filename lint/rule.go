package lint

import (
	"errors"
	"fmt"
	"regexp"
)

// Severity is how bad a diagnostic is.
type Severity int

// The severities, least first.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes the severity as "error", "warning" or "info".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Rule is one check. Rules are values: the registry is the exported slice
// [Rules], and a rule ID, once published, is never reused for another
// check.
type Rule struct {
	// ID is stable, kebab-case, and what users write in
	// `-- safemigrate:ignore ID`.
	ID string
	// Doc is one sentence: what the rule detects and why it matters.
	Doc string
	// Severity of every diagnostic the rule reports.
	Severity Severity
	// BySize marks a lock or rewrite rule: what its finding costs grows
	// with the table. With live facts ([Config.Live]) its diagnostics name
	// the table's size and are graded by it.
	BySize bool
	// Run inspects one migration and reports through [Pass.Report].
	Run func(*Pass)
}

var ruleID = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate checks a rule registry: every rule has a kebab-case ID unique
// in the registry and not retired, a non-empty Doc, and a Run function.
func Validate(rules []*Rule) error { return validate(rules, retired) }

func validate(rules []*Rule, retired map[string]string) error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range rules {
		switch {
		case r == nil:
			errs = append(errs, fmt.Errorf("rule %d is nil", i))
			continue
		case !ruleID.MatchString(r.ID):
			errs = append(errs, fmt.Errorf("rule %d: ID %q is not kebab-case", i, r.ID))
		case seen[r.ID]:
			errs = append(errs, fmt.Errorf("rule %s: duplicate ID", r.ID))
		case retired[r.ID] != "":
			errs = append(errs, fmt.Errorf("rule %s: the ID was retired (%s) and cannot be reused", r.ID, retired[r.ID]))
		}
		seen[r.ID] = true
		if r.Doc == "" {
			errs = append(errs, fmt.Errorf("rule %s: empty Doc", r.ID))
		}
		if r.Run == nil {
			errs = append(errs, fmt.Errorf("rule %s: nil Run", r.ID))
		}
		if r.Severity < Info || r.Severity > Error {
			errs = append(errs, fmt.Errorf("rule %s: invalid severity %d", r.ID, r.Severity))
		}
	}
	return errors.Join(errs...)
}

// retired lists rule IDs that were published once and removed, with why.
// They stay here so that no new rule takes their ID (users' ignore
// comments name them).
var retired = map[string]string{}

// Lookup returns the rule with the given ID from rules, or nil.
func Lookup(rules []*Rule, id string) *Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
