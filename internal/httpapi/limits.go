package httpapi

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/octopus-venue/octopus/internal/market"
	"github.com/octopus-venue/octopus/internal/trading"
)

// Length limits, in bytes, on credentials and codes that the services check for
// content: bounding them first keeps a megabyte "password" away from hashing.
const (
	maxUsernameLen = 64
	maxPasswordLen = 1024
	maxCodeLen     = 64
	maxTokenLen    = 512
)

// eventTypePattern is what a security event type looks like.
var eventTypePattern = regexp.MustCompile(`^[a-z_]{1,64}$`)

// tooLong returns the field error for the first field longer than its limit.
func tooLong(fields ...lengthCheck) error {
	for _, f := range fields {
		if len(f.value) > f.limit {
			return errField(f.name, fmt.Sprintf("must be at most %d bytes", f.limit))
		}
	}
	return nil
}

// lengthCheck is one field for tooLong.
type lengthCheck struct {
	name  string
	value string
	limit int
}

// pathSymbol reads the {symbol} path value. A value that cannot be a symbol is an
// unknown symbol, without a lookup.
func pathSymbol(r *http.Request) (string, error) {
	code := r.PathValue("symbol")
	if !market.ValidSymbol(code) {
		return "", trading.ErrUnknownSymbol
	}
	return code, nil
}
