package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	"github.com/octopus-venue/octopus/internal/auth/totp"
	"github.com/octopus-venue/octopus/internal/store"
)

// MFA errors.
var (
	ErrMFAEnrolled    = errors.New("a second factor is already enrolled")
	ErrMFANotEnrolled = errors.New("no second factor enrollment in progress")
	ErrInvalidCode    = errors.New("invalid code")
)

// MFAStore is the slice of storage that the second factor needs.
type MFAStore interface {
	AdvanceTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error
	UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
}

// Sealer encrypts TOTP seeds at rest.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// Enrollment is a new TOTP secret, shown once.
type Enrollment struct {
	Secret string
	URI    string
}

// seedAD binds a sealed seed to its user, so a seed copied to another row fails.
func seedAD(userID int64) []byte { return []byte("totp-seed:" + strconv.FormatInt(userID, 10)) }

// EnrollTOTP starts enrollment: a fresh secret is sealed and stored unconfirmed.
func (s *Service) EnrollTOTP(ctx context.Context, p Principal, issuer string) (Enrollment, error) {
	u, err := s.users.GetUser(ctx, p.UserID)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll: %w", err)
	}
	if u.TOTPConfirmed {
		return Enrollment{}, ErrMFAEnrolled
	}
	secret, err := totp.GenerateSecret(rand.Reader)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll: %w", err)
	}
	sealed, err := s.sealer.Seal([]byte(secret), seedAD(u.ID))
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll: seal: %w", err)
	}
	confirmed := false
	if _, err := s.users.UpdateUser(ctx, u.ID, store.UserUpdate{
		TOTPSecret: &sealed, TOTPConfirmed: &confirmed,
	}); err != nil {
		return Enrollment{}, fmt.Errorf("enroll: %w", err)
	}
	return Enrollment{Secret: secret, URI: totp.URI(issuer, u.Username, secret)}, nil
}

// ConfirmTOTP turns enrollment on with a first valid code and returns ten one-time
// recovery codes, shown once and stored hashed.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code, ip string) ([]string, error) {
	u, err := s.users.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	if u.TOTPConfirmed {
		return nil, ErrMFAEnrolled
	}
	if len(u.TOTPSecret) == 0 {
		return nil, ErrMFANotEnrolled
	}
	if err := s.checkTOTP(ctx, u, code); err != nil {
		s.events.Record(ctx, "mfa_failure", u.ID, ip, "wrong code at enrollment")
		return nil, ErrInvalidCode
	}
	codes, err := totp.GenerateRecoveryCodes(rand.Reader, totp.DefaultRecoveryCodes)
	if err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = totp.HashRecoveryCode(c)
	}
	if err := s.mfa.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	confirmed := true
	if _, err := s.users.UpdateUser(ctx, u.ID, store.UserUpdate{TOTPConfirmed: &confirmed}); err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	return codes, nil
}

// checkTOTP accepts a code once: its time step must be newer than the last one used.
func (s *Service) checkTOTP(ctx context.Context, u store.User, code string) error {
	seed, err := s.sealer.Open(u.TOTPSecret, seedAD(u.ID))
	if err != nil {
		return fmt.Errorf("open seed: %w", err)
	}
	step, ok := totp.ValidateAfter(string(seed), code, s.clock(), u.TOTPLastStep)
	if !ok {
		return ErrInvalidCode
	}
	fresh, err := s.mfa.AdvanceTOTPStep(ctx, u.ID, step)
	if err != nil {
		return fmt.Errorf("record step: %w", err)
	}
	if !fresh {
		return ErrInvalidCode
	}
	return nil
}

// secondFactor checks the code of a login for a user with MFA on.
func (s *Service) secondFactor(ctx context.Context, u *store.User, req LoginRequest) error {
	if !u.TOTPConfirmed {
		return nil
	}
	if req.TOTPCode == "" && req.RecoveryCode == "" {
		return ErrMFARequired
	}
	var err error
	if req.TOTPCode != "" {
		err = s.checkTOTP(ctx, *u, req.TOTPCode)
	} else {
		err = s.useRecoveryCode(ctx, u.ID, req.RecoveryCode)
	}
	if err == nil {
		return nil
	}
	s.events.Record(ctx, "mfa_failure", u.ID, req.IP, "wrong second factor")
	s.lockout.Fail(ctx, *u, KindMFA, req.IP, s.events)
	return ErrInvalidCredentials
}

func (s *Service) useRecoveryCode(ctx context.Context, userID int64, code string) error {
	norm, err := totp.NormalizeRecoveryCode(code)
	if err != nil {
		return ErrInvalidCode
	}
	ok, err := s.mfa.UseRecoveryCode(ctx, userID, totp.HashRecoveryCode(norm))
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if !ok {
		return ErrInvalidCode
	}
	return nil
}
