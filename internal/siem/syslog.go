package siem

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// Syslog transports.
const (
	NetworkUDP = "udp"
	NetworkTCP = "tcp"
	NetworkTLS = "tls"
)

// Syslog defaults.
const (
	// FacilityAuthPriv is the security/authorization facility (RFC 5424
	// §6.2.1, code 10), the default for security events.
	FacilityAuthPriv = 10
	// FacilityLocal0 is the first local-use facility (code 16).
	FacilityLocal0 = 16

	// DefaultUDPMessageSize bounds a datagram; RFC 5426 §3.2 asks receivers
	// to accept 2048 octets.
	DefaultUDPMessageSize = 2048
	// MinUDPMessageSize is the smallest bound that still holds a full header.
	MinUDPMessageSize = minRecordLimit
	// MaxUDPMessageSize is the largest payload of a UDP datagram over IPv4.
	MaxUDPMessageSize = 65507

	// DefaultAppName is the APP-NAME written in every record.
	DefaultAppName = "octopus"
	// DefaultDialTimeout bounds connection set-up for every sink.
	DefaultDialTimeout = 10 * time.Second

	// drainWait bounds how long a stream is read to consume what the
	// receiver sent unasked (TLS session tickets, close_notify).
	drainWait = 20 * time.Millisecond
)

// errPendingData reports bytes waiting on a connection we only write to.
var errPendingData = errors.New("unexpected data from receiver")

// SyslogConfig describes a syslog receiver.
type SyslogConfig struct {
	Network  string // NetworkUDP, NetworkTCP or NetworkTLS
	Address  string // host:port
	Facility int    // RFC 5424 §6.2.1 code, 0..23; ParseEndpoints uses FacilityAuthPriv
	Hostname string // HOSTNAME header field; os.Hostname() when empty
	AppName  string // APP-NAME; DefaultAppName when empty
	ProcID   string // PROCID; the process id when empty

	// MaxMessageSize bounds each UDP datagram (DefaultUDPMessageSize when 0).
	MaxMessageSize int
	// TLSConfig is used for NetworkTLS; ServerName defaults to the host.
	TLSConfig   *tls.Config
	DialTimeout time.Duration
}

// SyslogSink sends events as RFC 5424 records over UDP (RFC 5426), TCP with
// octet-counting framing (RFC 6587 §3.4.1) or TLS (RFC 5425).
type SyslogSink struct {
	cfg    SyslogConfig
	header syslogHeader
	name   string

	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

var _ Sink = (*SyslogSink)(nil)

// NewSyslogSink checks cfg and returns a sink that connects on first use.
func NewSyslogSink(cfg SyslogConfig) (*SyslogSink, error) {
	var errs []error
	switch cfg.Network {
	case NetworkUDP, NetworkTCP, NetworkTLS:
	default:
		errs = append(errs, fmt.Errorf("network %q: %w", cfg.Network, ErrInvalidEndpoint))
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil || host == "" {
		errs = append(errs, fmt.Errorf("address must be host:port: %w", ErrInvalidEndpoint))
	}
	if cfg.Facility < 0 || cfg.Facility > 23 {
		errs = append(errs, fmt.Errorf("facility %d: %w", cfg.Facility, ErrInvalidEndpoint))
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultUDPMessageSize
	}
	if cfg.MaxMessageSize < MinUDPMessageSize || cfg.MaxMessageSize > MaxUDPMessageSize {
		errs = append(errs, fmt.Errorf("max message size %d not in %d..%d: %w",
			cfg.MaxMessageSize, MinUDPMessageSize, MaxUDPMessageSize, ErrInvalidEndpoint))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.AppName == "" {
		cfg.AppName = DefaultAppName
	}
	if cfg.ProcID == "" {
		cfg.ProcID = strconv.Itoa(os.Getpid())
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Network == NetworkTLS {
		cfg.TLSConfig = tlsClientConfig(cfg.TLSConfig, host)
	}

	return &SyslogSink{
		cfg: cfg,
		header: syslogHeader{
			Facility: cfg.Facility,
			Hostname: cfg.Hostname,
			AppName:  cfg.AppName,
			ProcID:   cfg.ProcID,
		},
		name: "syslog+" + cfg.Network + "://" + cfg.Address,
	}, nil
}

// tlsClientConfig clones base (or starts empty), names the server after
// host when the caller did not, and refuses anything older than TLS 1.2.
func tlsClientConfig(base *tls.Config, host string) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// Name identifies the sink in metrics, logs and buffer paths.
func (s *SyslogSink) Name() string { return s.name }

// String returns Name; the syslog URL holds no secret.
func (s *SyslogSink) String() string { return s.name }

// Send writes the batch. On TCP and TLS the whole batch goes out in one
// write; an error there means some records may have arrived and the batch
// will be sent again (at least once). On UDP each event is one datagram,
// cut to MaxMessageSize.
func (s *SyslogSink) Send(ctx context.Context, batch []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.closed {
		return ErrClosed
	}
	conn, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("syslog connect: %w", err)
	}

	_ = conn.SetDeadline(time.Time{})
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	if s.cfg.Network == NetworkUDP {
		err = s.writeDatagrams(conn, batch)
	} else {
		err = s.writeStream(conn, batch)
	}
	if err != nil {
		s.dropConn()
		return fmt.Errorf("syslog write: %w", err)
	}
	return nil
}

func (s *SyslogSink) writeStream(conn net.Conn, batch []Event) error {
	var buf []byte
	for _, ev := range batch {
		rec := formatRFC5424(s.header, ev, 0)
		buf = strconv.AppendInt(buf, int64(len(rec)), 10)
		buf = append(buf, ' ')
		buf = append(buf, rec...)
	}
	_, err := conn.Write(buf)
	return err
}

func (s *SyslogSink) writeDatagrams(conn net.Conn, batch []Event) error {
	for _, ev := range batch {
		rec := formatRFC5424(s.header, ev, s.cfg.MaxMessageSize)
		if _, err := conn.Write(rec); err != nil {
			return err
		}
	}
	// A refusal of these datagrams comes back as ICMP and is held by the
	// socket; look for it now rather than lose the batch silently.
	if err := peekConn(conn); err != nil && !errors.Is(err, errPendingData) {
		return err
	}
	return nil
}

// connect returns the open connection if the receiver still holds it, or
// dials a new one.
func (s *SyslogSink) connect(ctx context.Context) (net.Conn, error) {
	if s.conn != nil {
		if s.alive() {
			return s.conn, nil
		}
		s.dropConn()
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()

	var conn net.Conn
	var err error
	switch s.cfg.Network {
	case NetworkTLS:
		d := tls.Dialer{Config: s.cfg.TLSConfig}
		conn, err = d.DialContext(ctx, "tcp", s.cfg.Address)
	default:
		var d net.Dialer
		conn, err = d.DialContext(ctx, s.cfg.Network, s.cfg.Address)
	}
	if err != nil {
		return nil, err
	}
	s.conn = conn
	return conn, nil
}

// alive reports whether the open connection can still carry records.
func (s *SyslogSink) alive() bool {
	raw := s.conn
	if tc, ok := s.conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}

	for range 4 {
		err := peekConn(raw)
		if err == nil {
			return true
		}
		if !errors.Is(err, errPendingData) || !drain(s.conn) {
			return false
		}
	}
	return true
}

// drain consumes what the receiver sent on its own (TLS 1.3 session
// tickets, a close_notify, stray bytes) and reports false when the stream
// turned out to be closed.
func drain(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(drainWait))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()

	var buf [512]byte
	for {
		_, err := c.Read(buf[:])
		if err == nil {
			continue
		}
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
}

func (s *SyslogSink) dropConn() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// Close closes the connection; later Sends fail with ErrClosed.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.closed = true
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
