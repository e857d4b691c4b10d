package siem

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Default ports per endpoint kind.
const (
	DefaultSyslogUDPPort = "514"
	DefaultSyslogTCPPort = "601"  // RFC 6587 / IANA syslog-conn
	DefaultSyslogTLSPort = "6514" // RFC 5425
	DefaultSplunkPort    = "8088"
	DefaultElasticPort   = "9200"
)

// Option adjusts how ParseEndpoints builds sinks.
type Option func(*endpointOptions)

type endpointOptions struct {
	tls         *tls.Config
	hostname    string
	appName     string
	facility    int
	dialTimeout time.Duration
}

// WithTLSConfig sets the base TLS configuration of syslog+tls, splunk and
// elasticsearch endpoints (CA pool, client certificate). It is cloned;
// ServerName is taken from each endpoint's host when unset.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *endpointOptions) { o.tls = cfg.Clone() }
}

// WithRootCAs trusts pool instead of the system roots.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *endpointOptions) {
		if o.tls == nil {
			o.tls = &tls.Config{}
		}
		o.tls.RootCAs = pool
	}
}

// WithInsecureSkipVerifyForTests turns certificate checks off. It exists
// for tests against throw-away receivers; configuration never reaches it.
func WithInsecureSkipVerifyForTests() Option {
	return func(o *endpointOptions) {
		if o.tls == nil {
			o.tls = &tls.Config{}
		}
		o.tls.InsecureSkipVerify = true
	}
}

// WithHostname sets the HOSTNAME of syslog records and the host of HEC
// events and Elasticsearch documents; os.Hostname() by default.
func WithHostname(name string) Option {
	return func(o *endpointOptions) { o.hostname = name }
}

// WithAppName sets the syslog APP-NAME; DefaultAppName by default.
func WithAppName(name string) Option {
	return func(o *endpointOptions) { o.appName = name }
}

// WithFacility sets the syslog facility used when the endpoint has no
// facility parameter; FacilityAuthPriv by default.
func WithFacility(facility int) Option {
	return func(o *endpointOptions) { o.facility = facility }
}

// WithDialTimeout bounds connection set-up; DefaultDialTimeout by default.
func WithDialTimeout(d time.Duration) Option {
	return func(o *endpointOptions) { o.dialTimeout = d }
}

// facilities maps RFC 5424 §6.2.1 facility names to codes.
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "security": 10,
	"ftp": 11, "ntp": 12, "audit": 13, "alert": 14, "clock": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// ParseEndpoints builds the sinks named in spec, the SIEM_ENDPOINTS
// setting: a comma-separated list of
//
//	syslog+udp://host[:514][?facility=local0&max_size=2048]
//	syslog+tcp://host[:601][?facility=authpriv]
//	syslog+tls://host[:6514][?facility=authpriv]
//	splunk://token@host[:8088][?index=security&sourcetype=octopus:security]
//	splunk+http://token@host[:8088]               (plain HTTP, for dev and tests)
//	elasticsearch://[user:password@]host[:9200]/index
//	elasticsearch+http://[user:password@]host[:9200]/index
//
// An empty spec yields no sinks. Every problem is reported, joined, and
// no error names a token or password: endpoints are shown redacted.
func ParseEndpoints(spec string, opts ...Option) ([]Sink, error) {
	o := endpointOptions{facility: FacilityAuthPriv}
	for _, opt := range opts {
		opt(&o)
	}
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}

	var sinks []Sink
	var errs []error
	seen := make(map[string]int)
	for i, raw := range strings.Split(spec, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			errs = append(errs, fmt.Errorf("endpoint %d: empty: %w", i+1, ErrInvalidEndpoint))
			continue
		}
		s, err := parseEndpoint(raw, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("endpoint %d (%s): %w", i+1, RedactEndpoint(raw), err))
			continue
		}
		if first, dup := seen[s.Name()]; dup {
			errs = append(errs, fmt.Errorf("endpoint %d (%s): same receiver as endpoint %d: %w",
				i+1, s.Name(), first, ErrInvalidEndpoint))
			continue
		}
		seen[s.Name()] = i + 1
		sinks = append(sinks, s)
	}
	if err := errors.Join(errs...); err != nil {
		for _, s := range sinks {
			_ = s.Close()
		}
		return nil, err
	}
	return sinks, nil
}

// RedactEndpoint returns an endpoint as it may appear in logs and errors:
// scheme, host and path only, with credentials and query left out.
func RedactEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if scheme, _, ok := strings.Cut(raw, "://"); ok && isSchemeName(scheme) {
			return scheme + "://…"
		}
		return "…"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

func isSchemeName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '+' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func parseEndpoint(raw string, o endpointOptions) (Sink, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url errors quote the input, which may hold a token.
		return nil, fmt.Errorf("malformed url: %w", ErrInvalidEndpoint)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("url needs scheme://host: %w", ErrInvalidEndpoint)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("fragment not allowed: %w", ErrInvalidEndpoint)
	}

	switch u.Scheme {
	case "syslog+udp", "syslog+tcp", "syslog+tls":
		return parseSyslog(u, o)
	case "splunk", "splunk+https", "splunk+http":
		return parseSplunk(u, o)
	case "elasticsearch", "elasticsearch+https", "elasticsearch+http":
		return parseElastic(u, o)
	default:
		return nil, fmt.Errorf("unknown scheme %q: %w", u.Scheme, ErrInvalidEndpoint)
	}
}

func parseSyslog(u *url.URL, o endpointOptions) (Sink, error) {
	network := strings.TrimPrefix(u.Scheme, "syslog+")
	port := map[string]string{
		NetworkUDP: DefaultSyslogUDPPort,
		NetworkTCP: DefaultSyslogTCPPort,
		NetworkTLS: DefaultSyslogTLSPort,
	}[network]
	cfg := SyslogConfig{
		Network:     network,
		Facility:    o.facility,
		Hostname:    o.hostname,
		AppName:     o.appName,
		TLSConfig:   o.tls,
		DialTimeout: o.dialTimeout,
	}

	var errs []error
	var err error
	if cfg.Address, err = hostPort(u, port); err != nil {
		errs = append(errs, err)
	}
	if u.User != nil {
		errs = append(errs, fmt.Errorf("syslog takes no credentials: %w", ErrInvalidEndpoint))
	}
	if u.Path != "" && u.Path != "/" {
		errs = append(errs, fmt.Errorf("syslog takes no path: %w", ErrInvalidEndpoint))
	}

	q := u.Query()
	errs = append(errs, unknownParams(q, "facility", "max_size")...)
	if v := q.Get("facility"); v != "" {
		if cfg.Facility, err = parseFacility(v); err != nil {
			errs = append(errs, err)
		}
	}
	if v := q.Get("max_size"); v != "" {
		if network != NetworkUDP {
			errs = append(errs, fmt.Errorf("max_size applies to udp only: %w", ErrInvalidEndpoint))
		}
		if cfg.MaxMessageSize, err = strconv.Atoi(v); err != nil {
			errs = append(errs, fmt.Errorf("max_size %q is not a number: %w", v, ErrInvalidEndpoint))
		}
	}
	sink, err := NewSyslogSink(cfg)
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	return sink, nil
}

func parseFacility(v string) (int, error) {
	if f, ok := facilities[strings.ToLower(v)]; ok {
		return f, nil
	}
	f, err := strconv.Atoi(v)
	if err != nil || f < 0 || f > 23 {
		return 0, fmt.Errorf("facility %q: %w", v, ErrInvalidEndpoint)
	}
	return f, nil
}

func parseSplunk(u *url.URL, o endpointOptions) (Sink, error) {
	cfg := SplunkConfig{
		Host:        o.hostname,
		TLSConfig:   o.tls,
		DialTimeout: o.dialTimeout,
	}

	var errs []error
	addr, err := hostPort(u, DefaultSplunkPort)
	if err != nil {
		errs = append(errs, err)
	}
	if u.User != nil {
		pass, hasPass := u.User.Password()
		switch {
		case u.User.Username() != "" && hasPass:
			errs = append(errs, fmt.Errorf("give the token as token@host only: %w", ErrInvalidEndpoint))
		case u.User.Username() != "":
			cfg.Token = u.User.Username()
		default:
			cfg.Token = pass
		}
	}
	if u.Path != "" && u.Path != "/" {
		errs = append(errs, fmt.Errorf("splunk takes no path: %w", ErrInvalidEndpoint))
	}
	q := u.Query()
	errs = append(errs, unknownParams(q, "index", "sourcetype")...)
	cfg.Index, cfg.SourceType = q.Get("index"), q.Get("sourcetype")

	cfg.URL = httpScheme(u.Scheme) + "://" + addr
	sink, err := NewSplunkSink(cfg)
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	return sink, nil
}

func parseElastic(u *url.URL, o endpointOptions) (Sink, error) {
	cfg := ElasticConfig{
		Host:        o.hostname,
		TLSConfig:   o.tls,
		DialTimeout: o.dialTimeout,
		Index:       strings.Trim(u.Path, "/"),
	}

	var errs []error
	addr, err := hostPort(u, DefaultElasticPort)
	if err != nil {
		errs = append(errs, err)
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Username == "" {
			errs = append(errs, fmt.Errorf("password without user: %w", ErrInvalidEndpoint))
		}
	}
	if strings.Contains(cfg.Index, "/") {
		errs = append(errs, fmt.Errorf("path must be a single index name: %w", ErrInvalidEndpoint))
	}
	errs = append(errs, unknownParams(u.Query())...)

	cfg.URL = httpScheme(u.Scheme) + "://" + addr
	sink, err := NewElasticSink(cfg)
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	return sink, nil
}

// httpScheme maps an endpoint scheme onto the transport: plain HTTP only
// when asked for with "+http", HTTPS otherwise.
func httpScheme(scheme string) string {
	if strings.HasSuffix(scheme, "+http") {
		return "http"
	}
	return "https"
}

// hostPort returns host:port, with defaultPort when the URL has none.
func hostPort(u *url.URL, defaultPort string) (string, error) {
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("missing host: %w", ErrInvalidEndpoint)
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q: %w", port, ErrInvalidEndpoint)
	}
	return net.JoinHostPort(host, port), nil
}

// unknownParams reports query parameters outside allowed. Only names are
// shown: a misplaced secret could sit in a value.
func unknownParams(q url.Values, allowed ...string) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(allowed, name) {
			errs = append(errs, fmt.Errorf("unknown parameter %q: %w", name, ErrInvalidEndpoint))
		}
	}
	return errs
}
