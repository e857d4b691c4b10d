package clientip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrInvalidPrefix marks an entry of a trusted proxy list that is neither a CIDR
// prefix nor an IP address.
var ErrInvalidPrefix = errors.New("invalid trusted proxy")

// ParsePrefixes reads a comma-separated list of CIDR prefixes ("10.0.0.0/8") and bare
// addresses ("192.0.2.7", taken as /32 or /128). Empty entries are skipped. Every bad
// entry is reported, joined into one error, so a configuration is fixed in one pass.
func ParsePrefixes(csv string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	var errs []error
	for _, entry := range strings.Split(csv, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}

		p, err := parsePrefix(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w %q", ErrInvalidPrefix, entry))
			continue
		}
		prefixes = append(prefixes, p)
	}

	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	return prefixes, nil
}

// parsePrefix reads one entry. Host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8.
func parsePrefix(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, err
		}

		return normalizePrefix(p), nil
	}

	addr, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, err
	}
	addr = normalizeAddr(addr)

	return netip.PrefixFrom(addr, addr.BitLen()), nil
}
