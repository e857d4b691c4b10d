package password

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost used when NewHasher is given zero.
const DefaultCost = 12

// MinCost is the lowest bcrypt cost NewHasher accepts without AllowLowCost.
const MinCost = 10

// MaxBytes is the longest password, in bytes, that bcrypt reads in full.
const MaxBytes = 72

var (
	// ErrMismatch means the password does not match the stored hash.
	ErrMismatch = errors.New("password: mismatch")

	// ErrTooLong means the password is longer than MaxBytes and cannot be
	// hashed without truncation.
	ErrTooLong = errors.New("password: longer than 72 bytes")

	// ErrCost means a bcrypt cost outside the accepted range.
	ErrCost = errors.New("password: bcrypt cost out of range")

	// ErrMalformedHash means a stored hash is not a bcrypt hash.
	ErrMalformedHash = errors.New("password: malformed hash")
)

// Hasher hashes and compares passwords with bcrypt at one cost. It is safe
// for concurrent use.
type Hasher struct {
	cost  int
	dummy []byte
}

type hasherOptions struct {
	allowLowCost bool
}

// HasherOption changes how NewHasher builds a Hasher.
type HasherOption func(*hasherOptions)

// AllowLowCost lets NewHasher accept a cost below MinCost. It exists for tests,
// where cost 4 keeps suites fast; production code must not use it.
func AllowLowCost() HasherOption {
	return func(o *hasherOptions) { o.allowLowCost = true }
}

// NewHasher returns a Hasher at the given bcrypt cost; zero means DefaultCost.
// It computes the dummy hash used by DummyCompare, so it takes as long as one
// Hash call.
func NewHasher(cost int, opts ...HasherOption) (*Hasher, error) {
	var o hasherOptions
	for _, opt := range opts {
		opt(&o)
	}

	if cost == 0 {
		cost = DefaultCost
	}
	lowest := MinCost
	if o.allowLowCost {
		lowest = bcrypt.MinCost
	}
	if cost < lowest || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("new hasher: cost %d: %w", cost, ErrCost)
	}

	// The dummy hash is of a random password nobody knows, at the same cost,
	// so DummyCompare does exactly the work of a failed real comparison.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("new hasher: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword(secret, cost)
	if err != nil {
		return nil, fmt.Errorf("new hasher: %w", err)
	}

	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Cost returns the bcrypt cost new hashes are made with.
func (h *Hasher) Cost() int {
	return h.cost
}

// Hash returns the bcrypt hash of pw. It returns ErrTooLong for passwords over
// MaxBytes instead of letting bcrypt ignore the tail.
func (h *Hasher) Hash(pw string) (string, error) {
	if len(pw) > MaxBytes {
		return "", fmt.Errorf("hash: %w", ErrTooLong)
	}

	b, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}

	return string(b), nil
}

// Compare checks pw against a stored bcrypt hash. It returns nil on a match,
// ErrMismatch when the password is wrong and ErrMalformedHash when hash is
// not a bcrypt hash. A password over MaxBytes can never have been stored, so
// it returns ErrMismatch at once: bcrypt would otherwise compare only its
// first 72 bytes and accept a longer string that merely starts with the
// real password.
func (h *Hasher) Compare(hash, pw string) error {
	if len(pw) > MaxBytes {
		return ErrMismatch
	}

	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return ErrMismatch
	default:
		return fmt.Errorf("compare: %w", ErrMalformedHash)
	}
}

// DummyCompare does the work of a failed Compare against a hash of the
// Hasher's cost and always returns ErrMismatch. Call it when the user does not
// exist, so that the response time does not reveal which usernames are real.
func (h *Hasher) DummyCompare(pw string) error {
	if len(pw) > MaxBytes {
		return ErrMismatch
	}

	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(pw))

	return ErrMismatch
}

// NeedsRehash reports whether hash was made at a cost other than the
// Hasher's, or cannot be read at all. Callers rehash after a successful
// Compare, when they hold the plaintext.
func (h *Hasher) NeedsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return true
	}

	return cost != h.cost
}
