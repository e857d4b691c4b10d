package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/octopus-venue/octopus/internal/auth/password"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// FieldError is a user input the account rules refuse; Field names it.
type FieldError struct {
	Field   string
	Rule    string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// UserCreator is the storage a user creation needs.
type UserCreator interface {
	CreateUser(ctx context.Context, u *store.User) error
}

// Accounts creates users and changes passwords under the password policy. It is
// shared by the API and the command line, so both apply the same rules.
type Accounts struct {
	Users  UserCreator
	Hasher *password.Hasher
	Policy password.Policy
}

// NewUser is a user to create.
type NewUser struct {
	Username string
	Email    string
	Password string
	Role     string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$`)

// ValidateUsername checks the username rules.
func ValidateUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return &FieldError{"username", "format",
			"must be 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"}
	}
	return nil
}

// ValidateEmail checks that email is one plain address.
func ValidateEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 || a.Name != "" {
		return &FieldError{"email", "format", "must be a plain email address"}
	}
	return nil
}

// Create checks every rule and stores the user with a bcrypt hash.
func (a *Accounts) Create(ctx context.Context, nu NewUser) (store.User, error) {
	if err := ValidateUsername(nu.Username); err != nil {
		return store.User{}, err
	}
	if err := ValidateEmail(nu.Email); err != nil {
		return store.User{}, err
	}
	if !rbac.ValidRole(nu.Role) {
		return store.User{}, &FieldError{"role", "format",
			"must be one of " + strings.Join(rbac.Roles(), ", ")}
	}
	if err := a.checkPassword(nu.Password, nu.Username, nu.Email); err != nil {
		return store.User{}, err
	}
	hash, err := a.Hasher.Hash(nu.Password)
	if err != nil {
		return store.User{}, fmt.Errorf("hash password: %w", err)
	}
	u := store.User{Username: nu.Username, Email: nu.Email, Role: nu.Role, PasswordHash: hash}
	if err := a.Users.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, &FieldError{"username", "taken",
				"or email is already registered"}
		}
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

func (a *Accounts) checkPassword(pw string, inputs ...string) error {
	if err := a.Policy.Check(pw, inputs...); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return &FieldError{"password", pe.Rule, pe.Message}
		}
		return fmt.Errorf("check password: %w", err)
	}
	return nil
}

// ChangePassword checks the current password and the policy, stores the new hash and
// revokes every session the user had: whoever knew the old password is out. The
// caller goes on in a new session, whose tokens it returns; the token that made the
// request dies with the others, since it may be the one a thief holds.
func (s *Service) ChangePassword(ctx context.Context, a *Accounts, p Principal, current, next string) (Tokens, error) {
	u, err := s.users.GetUser(ctx, p.UserID)
	if err != nil {
		return Tokens{}, fmt.Errorf("change password: %w", err)
	}
	var cmpErr error
	if err := s.withHashSlot(ctx, func() { cmpErr = s.hasher.Compare(u.PasswordHash, current) }); err != nil {
		return Tokens{}, err
	}
	if cmpErr != nil {
		return Tokens{}, &FieldError{"current_password", "mismatch", "is not your current password"}
	}
	if err := a.checkPassword(next, u.Username, u.Email); err != nil {
		return Tokens{}, err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return Tokens{}, fmt.Errorf("hash password: %w", err)
	}
	if _, err := s.users.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &hash}); err != nil {
		return Tokens{}, fmt.Errorf("change password: %w", err)
	}
	if err := s.RevokeSessions(ctx, u.ID); err != nil {
		return Tokens{}, err
	}
	return s.issue(ctx, u, "")
}
