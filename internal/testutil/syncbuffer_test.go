package testutil_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/safemigrate/safemigrate/internal/testutil"
)

// TestSyncBufferConcurrent writes from many goroutines while reading
// (run with -race): every write arrives whole.
func TestSyncBufferConcurrent(t *testing.T) {
	var b testutil.SyncBuffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				fmt.Fprintf(&b, "w%02d\n", i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 20*50 {
		t.Fatalf("got %d lines, want %d", len(lines), 20*50)
	}
	for _, l := range lines {
		if len(l) != 3 || l[0] != 'w' {
			t.Fatalf("torn write %q", l)
		}
	}
	b.Reset()
	if b.String() != "" {
		t.Fatalf("after Reset: %q", b.String())
	}
}
