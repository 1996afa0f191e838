package sqlparse_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// TestTokSize: a file's tokens are allocated and zeroed at once, so a
// token's size is most of the decode's memory traffic; a field order
// that pads it to 16 bytes costs a third more.
func TestTokSize(t *testing.T) {
	if got := sqlparse.TokSize; got != 12 {
		t.Errorf("tok is %d bytes, want 12: keep the one-byte fields together", got)
	}
}

// TestParseTree: the decoder reads every kind of value libpg_query
// writes, lists the calls, and refuses every truncation of its input
// (an error, not a panic or a partial tree).
func TestParseTree(t *testing.T) {
	js := `{"a":[],"b":{},"c":[1,{"d":"x\"y"},true,false,null,[[]]],"FuncCall":{"e":-15},"f":""}`
	root, err := sqlparse.ParseTree(js)
	if err != nil {
		t.Fatal(err)
	}
	c := root.Get("c")
	checks := []struct {
		name string
		ok   bool
	}{
		{"empty array", root.Get("a").IsArray() && root.Get("a").Len() == 0},
		{"empty object", root.Get("b").IsObject() && !root.Get("b").Get("x").Exists()},
		{"array length", c.Len() == 6},
		{"number", c.Index(0).Int() == 1 && root.Get("FuncCall").I("e") == -15},
		{"escaped string", c.Index(1).S("d") == `x"y`},
		{"booleans and null", c.Index(2).Bool() && !c.Index(3).Bool() && c.Index(4).Exists() && !c.Index(4).Bool()},
		{"nested arrays", c.Index(5).Len() == 1 && c.Index(5).Index(0).IsArray()},
		{"empty string", root.Get("f").Exists() && root.S("f") == ""},
		{"calls", root.AnyCall(func(call sqlparse.Node) bool { return call.I("e") == -15 })},
		{"members in order", func() bool {
			var keys []string
			root.Fields(func(k string, _ sqlparse.Node) bool { keys = append(keys, k); return true })
			return len(keys) == 5 && keys[0] == "a" && keys[4] == "f"
		}()},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("%s: not as decoded from %s", c.name, js)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		for i := range len(js) {
			if _, err := sqlparse.ParseTree(js[:i]); err == nil {
				t.Errorf("%q decoded without an error", js[:i])
			}
		}
	})
}

// BenchmarkDecodeCorpus decodes the parse trees of the lint benchmark's
// corpus (see bench/lint/run.sh; $LINT_CORPUS or .bench/lint/corpus),
// libpg_query's part left out.
func BenchmarkDecodeCorpus(b *testing.B) {
	dir := os.Getenv("LINT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".bench", "lint", "corpus")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
	if len(paths) == 0 {
		b.Skipf("no corpus in %s: run `go run ./bench/lint/gen -n 2000 -out .bench/lint/corpus` first, or set LINT_CORPUS", dir)
	}
	var trees []string
	size := 0
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		js, err := sqlparse.ParseJSON(string(src))
		if err != nil {
			b.Fatalf("%s: %v", p, err)
		}
		trees = append(trees, js)
		size += len(js)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		for _, js := range trees {
			if _, err := sqlparse.ParseTree(js); err != nil {
				b.Fatal(err)
			}
		}
	}
}
