package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/internal/spell"
)

// checkShape compares the document with the shape of Config before it is
// decoded, so that a mistake is reported as the user wrote it ("line 3:
// tenants.schemas must be a list of strings") rather than as yaml.v3 sees
// it ("cannot unmarshal !!int into []string", which names Go types).
func checkShape(doc *yaml.Node) error {
	if doc.Kind == 0 {
		return nil // empty file
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	return checkNode(doc, reflect.TypeFor[Config](), "")
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

func checkNode(n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // left unset
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Our own unmarshalers (durations, sizes) read one scalar and say
	// what is wrong with its text themselves.
	if reflect.PointerTo(t).Implements(unmarshaler) || t.Kind() == reflect.String {
		if n.Kind != yaml.ScalarNode {
			return shapeError(n, path, "a single value")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return shapeError(n, path, "true or false")
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return shapeError(n, path, "a whole number")
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return shapeError(n, path, "a list, e.g. [a, b]")
		}
		for _, item := range n.Content {
			if err := checkNode(item, t.Elem(), path+"[]"); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return shapeError(n, path, "a section of settings ("+strings.Join(keysOf(t), ", ")+")")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fieldOf(t, k.Value)
			if !ok {
				return unknownKey(k, t, path)
			}
			if err := checkNode(v, f.Type, join(path, k.Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shapeError says what a key takes and what the file gives it instead.
func shapeError(n *yaml.Node, path, want string) error {
	key := strings.TrimSuffix(path, "[]")
	if key == "" {
		key = "the configuration"
	}
	if strings.HasSuffix(path, "[]") {
		want = "a list of single values"
	}
	return fmt.Errorf("line %d: %s must be %s, not %s", n.Line, key, want, describe(n))
}

// describe names what a node holds in the user's terms.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section of keys"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	// A misplaced connection string must not show its password.
	return fmt.Sprintf("%q", redact.String(n.Value))
}

// unknownKey says which keys the section takes, the closest one, and
// where the key belongs when it is the key of another section.
func unknownKey(k *yaml.Node, t reflect.Type, path string) error {
	msg := fmt.Sprintf("line %d: unknown key %s", k.Line, k.Value)
	if path != "" {
		msg += " in " + path
	}
	keys := keysOf(t)
	if best := spell.Closest(k.Value, keys, 2); best != "" {
		return fmt.Errorf("%s, did you mean %s?", msg, best)
	}
	switch other := sectionHolding(k.Value, path); other {
	case "":
	case "top-level":
		return fmt.Errorf("%s; it is a top-level setting: move it out of the %s section", msg, path)
	default:
		return fmt.Errorf("%s: it belongs in the %s section (move it under %s)", msg, other, other)
	}
	if best := spell.Closest(k.Value, keys, 3); best != "" {
		return fmt.Errorf("%s, did you mean %s?", msg, best)
	}
	return fmt.Errorf("%s (known keys: %s)", msg, strings.Join(keys, ", "))
}

// sectionHolding returns the section, other than path, whose keys include key.
func sectionHolding(key, path string) string {
	root := reflect.TypeFor[Config]()
	for i := range root.NumField() {
		f := root.Field(i)
		name := yamlName(f)
		if f.Type.Kind() != reflect.Struct || name == path || f.Type.Implements(unmarshaler) || reflect.PointerTo(f.Type).Implements(unmarshaler) {
			continue
		}
		if _, ok := fieldOf(f.Type, key); ok {
			return name
		}
	}
	if path != "" {
		if _, ok := fieldOf(root, key); ok {
			return "top-level"
		}
	}
	return ""
}

func fieldOf(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// keysOf returns the YAML keys of a section.
func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k := yamlName(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}
