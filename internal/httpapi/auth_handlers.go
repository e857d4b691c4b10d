package httpapi

import (
	"net/http"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

type loginRequest struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	TOTPCode     string `json:"totp_code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
}

func tokens(t auth.Tokens) tokenResponse {
	return tokenResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second), Scope: t.Scope}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > maxUsernameLen ||
		len(req.Password) > maxPasswordLen {
		s.writeError(w, r, errBadRequest("invalid_credentials_format",
			"username and password are required"))
		return
	}
	if err := tooLong(lengthCheck{"totp_code", req.TOTPCode, maxCodeLen},
		lengthCheck{"recovery_code", req.RecoveryCode, maxCodeLen}); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Auth.Login(r.Context(), auth.LoginRequest{
		Username: req.Username, Password: req.Password, TOTPCode: req.TOTPCode,
		RecoveryCode: req.RecoveryCode, IP: state(r.Context()).clientIP,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSubject(r, t.UserID, t.Role)
	setSummary(r, "login")
	writeJSON(w, http.StatusOK, tokens(t))
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := tooLong(lengthCheck{"refresh_token", req.RefreshToken, maxTokenLen}); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Auth.Refresh(r.Context(), req.RefreshToken, state(r.Context()).clientIP)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSubject(r, t.UserID, t.Role)
	setSummary(r, "token refreshed")
	writeJSON(w, http.StatusOK, tokens(t))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.Logout(r.Context(), principal(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "logout")
	w.WriteHeader(http.StatusNoContent)
}

type userResponse struct {
	ID          int64             `json:"id"`
	Username    string            `json:"username"`
	Email       string            `json:"email"`
	Role        string            `json:"role"`
	Permissions []rbac.Permission `json:"permissions"`
	Locked      bool              `json:"locked"`
	LockedUntil *time.Time        `json:"locked_until,omitempty"`
	MFAEnabled  bool              `json:"mfa_enabled"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func userJSON(u store.User, now time.Time) userResponse {
	out := userResponse{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role,
		Permissions: rbac.Permissions(u.Role), Locked: u.Locked, MFAEnabled: u.TOTPConfirmed,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if !u.LockedUntil.IsZero() && now.Before(u.LockedUntil) {
		t := u.LockedUntil
		out.LockedUntil = &t
	}
	return out
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, err := s.Store.GetUser(r.Context(), principal(r).UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON(u, s.Clock()))
}

type registerRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if !s.opts.RegistrationEnabled {
		s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "registration_disabled",
			Message: "registration is disabled on this venue"})
		return
	}
	var req registerRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Accounts.Create(r.Context(), auth.NewUser{
		Username: req.Username, Email: req.Email, Password: req.Password, Role: rbac.User,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "registered user %d", u.ID)
	writeJSON(w, http.StatusCreated, userJSON(u, s.Clock()))
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := tooLong(lengthCheck{"current_password", req.CurrentPassword, maxPasswordLen},
		lengthCheck{"new_password", req.NewPassword, maxPasswordLen}); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Auth.ChangePassword(r.Context(), s.Accounts, principal(r),
		req.CurrentPassword, req.NewPassword)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "password changed; other sessions revoked")
	writeJSON(w, http.StatusOK, tokens(t))
}

type enrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

func (s *Server) mfaEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := s.Auth.EnrollTOTP(r.Context(), principal(r), s.opts.Issuer)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "totp enrollment started")
	writeJSON(w, http.StatusOK, enrollResponse{Secret: e.Secret, OTPAuthURI: e.URI})
}

type confirmRequest struct {
	Code string `json:"code"`
}

type confirmResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) mfaConfirm(w http.ResponseWriter, r *http.Request) {
	var req confirmRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := tooLong(lengthCheck{"code", req.Code, maxCodeLen}); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes, err := s.Auth.ConfirmTOTP(r.Context(), principal(r), req.Code, state(r.Context()).clientIP)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "totp enrollment confirmed")
	writeJSON(w, http.StatusOK, confirmResponse{RecoveryCodes: codes})
}
