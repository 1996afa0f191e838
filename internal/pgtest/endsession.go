package pgtest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EndMode says where a [SessionEnder] ends the session: after the
// server message that completes its sequence of tags, or in its place.
type EndMode int

const (
	// EndAfter forwards the message, then ends the session: a server
	// shutting down sends its FATAL error where it next reads, after the
	// replies it has written.
	EndAfter EndMode = iota + 1
	// EndInstead drops the message and ends the session in its place.
	EndInstead
)

// SessionEnder is a TCP proxy to a test server that ends one session the
// way a server's fast shutdown or pg_terminate_backend does: it sends
// the FATAL error (SQLSTATE 57P01) the server sends and closes both
// sides, at a point of the protocol a test chooses, which a real
// shutdown hits only by chance.
type SessionEnder struct {
	// URL connects through the proxy (no TLS).
	URL string

	mode EndMode
	tags []string

	mu    sync.Mutex
	seen  int // how many of tags have been seen, in order
	fired bool
}

// EndSession starts a [SessionEnder] in front of the server of url. It
// ends the session in which the server's command tags (CommandComplete:
// "COMMIT", "INSERT 0 1", "SELECT 1", …) have included tags in order,
// others between them allowed, counting across the proxy's connections,
// at the last of them; once.
func EndSession(t testing.TB, dbURL string, mode EndMode, tags ...string) *SessionEnder {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	network, addr := "tcp", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") {
		network, addr = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(cfg.User, cfg.Password),
		Host:     ln.Addr().String(),
		Path:     "/" + cfg.Database,
		RawQuery: "sslmode=disable",
	}
	e := &SessionEnder{URL: u.String(), mode: mode, tags: tags}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial(network, addr)
			if err != nil {
				_ = client.Close()
				continue
			}
			go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
			go e.serverToClient(server, client)
		}
	}()
	return e
}

// Fired reports whether the proxy has ended a session.
func (e *SessionEnder) Fired() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fired
}

// match counts a message of the server and reports whether the session
// ends at it.
func (e *SessionEnder) match(typ byte, body []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fired || typ != 'C' || e.seen == len(e.tags) || strings.TrimRight(string(body), "\x00") != e.tags[e.seen] {
		return false
	}
	e.seen++
	e.fired = e.seen == len(e.tags)
	return e.fired
}

// serverToClient forwards the server's messages whole (after the
// untyped startup, every message is a type byte and a length).
func (e *SessionEnder) serverToClient(server, client net.Conn) {
	defer client.Close()
	defer server.Close()
	r := bufio.NewReader(server)
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(r, head); err != nil {
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint32(head[1:]))-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		end := e.match(head[0], body)
		if !end || e.mode == EndAfter {
			if _, err := client.Write(append(head, body...)); err != nil {
				return
			}
		}
		if end {
			var fields []byte
			for _, f := range []string{"SFATAL", "VFATAL", "C57P01", "Mterminating connection due to administrator command"} {
				fields = append(append(fields, f...), 0)
			}
			fields = append(fields, 0)
			msg := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(len(fields)+4))
			_, _ = client.Write(append(msg, fields...))
			return
		}
	}
}
