package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// proxy is a TCP proxy between safemigrate and the server that can cut
// every connection (both sides closed, as a dropped network does to the
// client at once) or stall them (nothing forwarded any more, sockets left
// open, as a silent network partition does).
type proxy struct {
	ln      net.Listener
	network string // "unix" or "tcp": how the server is reached
	target  string

	mu      sync.Mutex
	conns   map[*pipe]struct{}
	stalled bool
	wg      sync.WaitGroup
}

// pipe is one proxied connection.
type pipe struct {
	client, server net.Conn
	resume         chan struct{} // closed when a stall ends (by a cut)
}

// newProxy listens on a free port of 127.0.0.1 and forwards every
// connection to target over network ("unix" for a socket path, "tcp" for
// host:port).
func newProxy(network, target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &proxy{ln: ln, network: network, target: target, conns: map[*pipe]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the host:port clients connect to.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout(p.network, p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pp := &pipe{client: c, server: s, resume: make(chan struct{})}
		p.mu.Lock()
		p.conns[pp] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.copy(pp, s, c)
		go p.copy(pp, c, s)
	}
}

// copy forwards src to dst in chunks; while the proxy is stalled it holds
// each chunk back until the connection is cut.
func (p *proxy) copy(pp *pipe, dst, src net.Conn) {
	defer p.wg.Done()
	defer p.drop(pp)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stalled
			p.mu.Unlock()
			if stalled {
				<-pp.resume
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				_ = err // a reset: the other side goes down with this one
			}
			return
		}
	}
}

// drop closes both sides of pp and forgets it.
func (p *proxy) drop(pp *pipe) {
	p.mu.Lock()
	_, ok := p.conns[pp]
	delete(p.conns, pp)
	p.mu.Unlock()
	if ok {
		pp.client.Close()
		pp.server.Close()
		close(pp.resume)
	}
}

// Cut closes both sides of every open connection (and ends a stall). New
// connections are accepted and forwarded again.
func (p *proxy) Cut() int {
	p.mu.Lock()
	all := make([]*pipe, 0, len(p.conns))
	for pp := range p.conns {
		all = append(all, pp)
	}
	p.stalled = false
	p.mu.Unlock()
	for _, pp := range all {
		p.drop(pp)
	}
	return len(all)
}

// Stall stops forwarding on every connection, open or new, keeping the
// sockets open, until Cut.
func (p *proxy) Stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

// Open is the number of connections being proxied.
func (p *proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close stops listening and cuts every connection.
func (p *proxy) Close() {
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}
