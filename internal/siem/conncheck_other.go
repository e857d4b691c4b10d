//go:build !unix

package siem

import "net"

// peekConn cannot look at a socket without blocking on this platform, so
// it reports nothing pending; a receiver that went away is noticed at the
// next failed write instead.
func peekConn(net.Conn) error { return nil }
