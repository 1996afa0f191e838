package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrStopped is returned by methods of a [Cluster] after [Cluster.Stop].
var ErrStopped = errors.New("pgcluster: cluster stopped")

// ErrUnsupported is returned by [Start] on platforms where pgcluster
// cannot supervise a server (those that are not Unix).
var ErrUnsupported = errors.New("pgcluster: throwaway clusters need a Unix system")

// StartError reports a failed [Start], with the end of the log of the
// step that failed. Unwrap gives the cause, such as [context.Canceled],
// [context.DeadlineExceeded] or an [*exec.ExitError].
type StartError struct {
	// Step is "initdb" or "postgres".
	Step string
	// Err is the cause.
	Err error
	// LogTail holds the last lines of the step's log; it may be empty.
	LogTail string
}

// Error describes the failure followed by LogTail.
func (e *StartError) Error() string {
	msg := fmt.Sprintf("pgcluster: %s: %v", e.Step, e.Err)
	if e.LogTail != "" {
		msg += "\n" + e.Step + " log (last lines):\n" + e.LogTail
	}
	return msg
}

// Unwrap returns Err.
func (e *StartError) Unwrap() error { return e.Err }

// logTail returns up to the last maxLines lines (and at most 4 KiB) of
// the file at path, indented for inclusion in an error message.
func logTail(path string, maxLines int) string {
	const maxBytes = 4 << 10
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-maxBytes, 0)
	buf := make([]byte, fi.Size()-off)
	n, _ := f.ReadAt(buf, off)
	text := strings.TrimRight(string(buf[:n]), "\n")
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first line is probably cut
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
