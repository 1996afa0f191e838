package executor

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/safemigrate/safemigrate/internal/redact"
)

// logger writes one line per message to Options.Log, prefixed with the
// target's name in tenant mode. It serialises writes (the lock-wait
// reporter and the notice handler write from the session's goroutine, the
// blocker watcher from its own) and masks passwords in everything it
// writes.
type logger struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func newLogger(w io.Writer, name string) *logger {
	l := &logger{w: w}
	if name != "" {
		l.prefix = "[" + name + "] "
	}
	return l
}

func (l *logger) printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	msg := redact.String(fmt.Sprintf(format, args...))
	msg = strings.TrimRight(msg, "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", l.prefix, msg)
}
