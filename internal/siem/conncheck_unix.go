//go:build unix

package siem

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// peekConn looks at c without blocking or consuming anything. It returns
// an error the socket holds (ECONNREFUSED after an ICMP port unreachable on
// UDP), io.EOF when the peer has closed a stream, errPendingData when bytes
// wait to be read, or nil when nothing is pending.
//
// Syslog has no acknowledgement (RFC 6587, RFC 5426), so this is the only
// way to notice a receiver that went away before the next write is lost in
// the kernel's send buffer.
func peekConn(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}

	_, isUDP := c.(*net.UDPConn)
	var result error
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(rerr, syscall.EAGAIN), errors.Is(rerr, syscall.EWOULDBLOCK):
		case rerr != nil:
			result = rerr
		case n == 0 && !isUDP:
			result = io.EOF
		default:
			result = errPendingData
		}
		return true
	})
	if err != nil {
		return err
	}
	return result
}
