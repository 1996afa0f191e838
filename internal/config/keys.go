package config

import (
	"reflect"
	"regexp"
	"strings"

	"github.com/safemigrate/safemigrate/internal/spell"
)

// unknownField matches yaml.v3's message for a key that no field takes.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// explainKeys rewrites yaml.v3's "field x not found in type config.Config"
// messages as "unknown key x, did you mean y?" with the keys that section
// accepts.
func explainKeys(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		pre := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		m := unknownField.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		keys, section := keysOf(m[3])
		out := "line " + m[1] + ": unknown key " + m[2]
		if section != "" {
			out += " in " + section
		}
		if best := spell.Closest(m[2], keys, 3); best != "" {
			out += ", did you mean " + best + "?"
		} else if len(keys) > 0 {
			out += " (known keys: " + strings.Join(keys, ", ") + ")"
		}
		lines[i] = pre + out
	}
	return strings.Join(lines, "\n")
}

// sections maps yaml.v3's type names to the section they configure.
var sections = map[string]reflect.Type{
	"config.Config":  reflect.TypeFor[Config](),
	"config.Tenants": reflect.TypeFor[Tenants](),
	"config.Lint":    reflect.TypeFor[Lint](),
}

// keysOf returns the YAML keys of the named type and its section name
// ("" for the top level).
func keysOf(typeName string) ([]string, string) {
	t, ok := sections[typeName]
	if !ok {
		return nil, ""
	}
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	section := ""
	if t != reflect.TypeFor[Config]() {
		for i := range reflect.TypeFor[Config]().NumField() {
			f := reflect.TypeFor[Config]().Field(i)
			if f.Type == t {
				section, _, _ = strings.Cut(f.Tag.Get("yaml"), ",")
			}
		}
	}
	return keys, section
}
