package executor

import "strings"

// tlsRefused is pgconn's message for sslmode=prefer's first attempt when
// the server does not offer TLS; the plain-text attempt that follows
// carries the error that matters.
const tlsRefused = "tls error: server refused TLS connection"

// quietError is err with a message that leaves out noise lines; errors.Is
// and errors.As still see err.
type quietError struct {
	msg string
	err error
}

func (e *quietError) Error() string { return e.msg }
func (e *quietError) Unwrap() error { return e.err }

// withoutTLSNoise drops the "server refused TLS connection" attempt from a
// connection error that lists several attempts, when another attempt
// failed for a reason of its own (a wrong password, say).
func withoutTLSNoise(err error) error {
	lines := strings.Split(err.Error(), "\n")
	var kept []string
	dropped := false
	for _, l := range lines {
		if strings.HasPrefix(l, "\t") && strings.Contains(l, tlsRefused) {
			dropped = true
			continue
		}
		kept = append(kept, l)
	}
	attempts := 0
	for _, l := range kept {
		if strings.HasPrefix(l, "\t") {
			attempts++
		}
	}
	if !dropped || attempts == 0 {
		return err
	}
	if attempts == 1 && len(kept) == 2 && strings.HasSuffix(kept[0], ":") {
		// One attempt left: one line, as pgconn writes a single error.
		return &quietError{msg: kept[0] + " " + strings.TrimPrefix(kept[1], "\t"), err: err}
	}
	return &quietError{msg: strings.Join(kept, "\n"), err: err}
}
