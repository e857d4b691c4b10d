// Package money holds the fixed-point arithmetic of the venue: every amount of every
// asset is an int64 count of 10^-8 units, and every symbol trades in whole ticks of
// price and whole lots of quantity. Decimal strings exist only at the API edge.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Scale is the number of decimals every asset amount carries.
const Scale = 8

// One is the amount that stands for one whole unit of an asset.
const One int64 = 100_000_000

// Sentinel errors for amount parsing and arithmetic.
var (
	ErrSyntax      = errors.New("not a decimal number")
	ErrPrecision   = errors.New("too many decimal places")
	ErrOverflow    = errors.New("value too large")
	ErrNotPositive = errors.New("must be greater than zero")
	ErrOffStep     = errors.New("not a multiple of the step")
)

// maxDigits bounds the input so that parsing never works on attacker-sized strings.
const maxDigits = 40

// Parse reads a plain decimal string ("12", "0.5", "150.25") into 10^-8 units. Signs,
// exponents, spaces, leading dots and more than Scale decimals are rejected: an API that
// silently rounds money is an API that silently loses it.
func Parse(s string) (int64, error) {
	if s == "" || len(s) > maxDigits {
		return 0, ErrSyntax
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && fracPart == "") {
		return 0, ErrSyntax
	}
	if len(fracPart) > Scale {
		if !allDigits(fracPart) {
			return 0, ErrSyntax
		}
		return 0, ErrPrecision
	}
	if !allDigits(intPart) || !allDigits(fracPart) {
		return 0, ErrSyntax
	}
	var v int64
	for _, c := range intPart {
		next, ok := mulAdd(v, 10, int64(c-'0'))
		if !ok {
			return 0, ErrOverflow
		}
		v = next
	}
	for i := 0; i < Scale; i++ {
		d := int64(0)
		if i < len(fracPart) {
			d = int64(fracPart[i] - '0')
		}
		next, ok := mulAdd(v, 10, d)
		if !ok {
			return 0, ErrOverflow
		}
		v = next
	}
	return v, nil
}

// ParsePositive is Parse for values that must be above zero (prices, sizes, deposits).
func ParsePositive(s string) (int64, error) {
	v, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, ErrNotPositive
	}
	return v, nil
}

// Format writes units as a decimal string without trailing zeros ("150.25", "10").
func Format(units int64) string {
	return FormatFixed(units, -1)
}

// FormatFixed writes units with exactly decimals places (0..Scale); a negative decimals
// trims trailing zeros instead.
func FormatFixed(units int64, decimals int) string {
	neg := units < 0
	u := uint64(units)
	if neg {
		u = uint64(-units)
		if units == math.MinInt64 {
			u = uint64(math.MaxInt64) + 1
		}
	}
	whole := u / uint64(One)
	frac := fmt.Sprintf("%08d", u%uint64(One))
	if decimals < 0 {
		frac = strings.TrimRight(frac, "0")
	} else if decimals < Scale {
		frac = frac[:decimals]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	fmt.Fprintf(&b, "%d", whole)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Decimals returns how many decimal places a step such as a tick size needs.
func Decimals(step int64) int {
	d := Scale
	for d > 0 && step%10 == 0 {
		step /= 10
		d--
	}
	return d
}

// Add returns a+b or false when the sum does not fit in an int64.
func Add(a, b int64) (int64, bool) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, false
	}
	return s, true
}

// Mul returns a*b for non-negative operands, or false when it overflows.
func Mul(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

func mulAdd(v, m, d int64) (int64, bool) {
	p, ok := Mul(v, m)
	if !ok {
		return 0, false
	}
	return Add(p, d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
