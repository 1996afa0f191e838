package main

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echoServer accepts connections on ln and echoes what it reads; every
// server-side connection is sent on conns.
func echoServer(t *testing.T, ln net.Listener) <-chan net.Conn {
	conns := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() { _, _ = io.Copy(c, c) }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return conns
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, msg, string(buf))
}

func TestProxyForwardsOverUnixSocketAndCutClosesBothSides(t *testing.T) {
	dir, err := os.MkdirTemp("", "chaos")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, ".s.PGSQL.5432")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	serverConns := echoServer(t, ln)

	p, err := newProxy("unix", sock)
	require.NoError(t, err)
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	roundTrip(t, c, "hello")
	srv := <-serverConns

	require.Equal(t, 1, p.Cut())
	// The client sees the connection end at once …
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "client read should fail because the proxy closed it, not time out: %v", err)
	// … and so does the server.
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = srv.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "server read: %v", err)

	// New connections work again after a cut.
	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c2.Close()
	roundTrip(t, c2, "again")
}

func TestProxyStallKeepsSocketsOpenAndForwardsNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serverConns := echoServer(t, ln)
	p, err := newProxy("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	roundTrip(t, c, "before")
	srv := <-serverConns

	p.Stall()
	_, err = c.Write([]byte("lost"))
	require.NoError(t, err, "writes still succeed: the socket is open")
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	require.True(t, isTimeout(err), "a stalled read must time out, not end: %v", err)
	require.Equal(t, 1, p.Open())

	// A connection opened during the stall is accepted but stalls too.
	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, c2.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, err = c2.Read(make([]byte, 1))
	require.True(t, isTimeout(err), "new connection during a stall: %v", err)

	// Cut ends the stall: both sides see the end.
	p.Cut()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "%v", err)
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = srv.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "%v", err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
