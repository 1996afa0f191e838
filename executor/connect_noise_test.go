package executor_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
)

// refusingServer answers sslmode=prefer's TLS request with "no" and every
// startup with a wrong-password error, as a server without TLS does.
func refusingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				be := pgproto3.NewBackend(c, c)
				for {
					msg, err := be.ReceiveStartupMessage()
					if err != nil {
						return
					}
					switch msg.(type) {
					case *pgproto3.SSLRequest:
						if _, err := c.Write([]byte("N")); err != nil {
							return
						}
					default:
						be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "app"`})
						_ = be.Flush()
						return
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

// TestWrongPasswordWithoutTLSNoise: the "server refused TLS connection"
// attempt of sslmode=prefer is not shown before the error that matters.
func TestWrongPasswordWithoutTLSNoise(t *testing.T) {
	addr := refusingServer(t)
	tg, err := executor.ParseTarget(fmt.Sprintf("postgres://app:wrong-pw@%s/app?connect_timeout=5", addr))
	require.NoError(t, err)
	_, err = executor.ReadState(ctx(t), tg)
	require.ErrorIs(t, err, executor.ErrConnect)
	assert.Contains(t, err.Error(), "password authentication failed")
	assert.NotContains(t, err.Error(), "refused TLS")
	assert.NotContains(t, err.Error(), "wrong-pw")
}
