package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// headerAPIKey carries a full API key (oct_<id>_<secret>).
const headerAPIKey = "X-API-Key"

// signingNone is how the API spells a key without request signing.
const signingNone = "none"

var errAPIKeysOff = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
	Message: "api keys are not configured on this server"}

type apiKeyRequest struct {
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes"`
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
	ExpiresAt    string   `json:"expires_at,omitempty"`
	Signing      string   `json:"signing,omitempty"`
	PublicKey    string   `json:"public_key,omitempty"`
}

type apiKeyResponse struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Scopes       []string   `json:"scopes"`
	AllowedCIDRs []string   `json:"allowed_cidrs"`
	Signing      string     `json:"signing"`
	ExpiresAt    *time.Time `json:"expires_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	CreatedAt    time.Time  `json:"created_at"`
	// Key is the full key string, present only in the answer to its creation.
	Key string `json:"key,omitempty"`
}

func apiKeyJSON(k store.APIKey) apiKeyResponse {
	out := apiKeyResponse{ID: k.ID, Name: k.Name, Scopes: k.Scopes, AllowedCIDRs: k.AllowedCIDRs,
		Signing: auth.Signing(k), CreatedAt: k.CreatedAt}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if out.AllowedCIDRs == nil {
		out.AllowedCIDRs = []string{}
	}
	if out.Signing == auth.SigningNone {
		out.Signing = signingNone
	}
	if !k.ExpiresAt.IsZero() {
		t := k.ExpiresAt
		out.ExpiresAt = &t
	}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt
		out.LastUsedAt = &t
	}
	return out
}

// createAPIKey issues a key. Only a caller signed in as a user may: a key that
// could mint keys would outlive its own revocation.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	if s.APIKeys == nil {
		s.writeError(w, r, errAPIKeysOff)
		return
	}
	p := principal(r)
	if p.APIKeyID != "" {
		s.writeError(w, r, auth.ErrAPIKeyNotAllowed)
		return
	}
	var req apiKeyRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	nk, err := parseAPIKeyRequest(req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	created, err := s.APIKeys.Create(r.Context(), p, nk)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k := created.Key
	// The key id is searchable in the audit trail only as a keyed hash (the
	// api_key_id column), so the summary leaves it out.
	setSummary(r, "api key created scopes=%s signing=%s cidrs=%d",
		strings.Join(k.Scopes, ","), signingName(auth.Signing(k)), len(k.AllowedCIDRs))
	out := apiKeyJSON(k)
	out.Key = created.Secret
	writeJSON(w, http.StatusCreated, out)
}

func parseAPIKeyRequest(req apiKeyRequest) (auth.NewAPIKey, error) {
	nk := auth.NewAPIKey{Name: req.Name, AllowedCIDRs: req.AllowedCIDRs, Signing: req.Signing}
	if nk.Signing == signingNone {
		nk.Signing = auth.SigningNone
	}
	for _, sc := range req.Scopes {
		nk.Scopes = append(nk.Scopes, rbac.Permission(sc))
	}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil {
			return nk, errField("expires_at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		nk.ExpiresAt = t
	}
	if req.PublicKey != "" {
		pub, err := base64.StdEncoding.Strict().DecodeString(req.PublicKey)
		if err != nil {
			return nk, errField("public_key", "must be standard base64")
		}
		nk.PublicKey = pub
	}
	return nk, nil
}

// listAPIKeys lists the caller's keys; secrets are never shown again.
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	if s.APIKeys == nil {
		s.writeError(w, r, errAPIKeysOff)
		return
	}
	if _, err := query(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	keys, err := s.APIKeys.List(r.Context(), principal(r).UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := make([]apiKeyResponse, 0, len(keys))
	for _, k := range keys {
		items = append(items, apiKeyJSON(k))
	}
	writeJSON(w, http.StatusOK, listResponse[apiKeyResponse]{Items: items})
}

// deleteAPIKey revokes one of the caller's keys at once.
func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	if s.APIKeys == nil {
		s.writeError(w, r, errAPIKeysOff)
		return
	}
	p := principal(r)
	if p.APIKeyID != "" {
		s.writeError(w, r, auth.ErrAPIKeyNotAllowed)
		return
	}
	id := r.PathValue("id")
	if err := s.APIKeys.Delete(r.Context(), p.UserID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "api key deleted")
	w.WriteHeader(http.StatusNoContent)
}

// authenticateAPIKey checks the X-API-Key header and, when the request is signed,
// its signature over the method, path, query and body.
func (s *Server) authenticateAPIKey(r *http.Request) (auth.Principal, error) {
	if s.APIKeys == nil {
		return auth.Principal{}, errUnauthorized
	}
	h := r.Header
	// One credential per request, each header at most once: two would leave it
	// open which one was checked.
	if len(h.Values("Authorization")) > 0 || len(h.Values(headerAPIKey)) != 1 ||
		len(h.Values(apikey.HeaderSignature)) > 1 || len(h.Values(apikey.HeaderTimestamp)) > 1 {
		return auth.Principal{}, auth.ErrInvalidAPIKey
	}

	st := state(r.Context())
	ip, _ := netip.ParseAddr(st.clientIP)
	req := auth.SignedRequest{Method: r.Method, PathQuery: apikey.PathQuery(r.URL),
		Timestamp: h.Get(apikey.HeaderTimestamp), Signature: h.Get(apikey.HeaderSignature),
		ClientIP: ip}
	// The body is read before the handler only when a signature covers it, so an
	// unsigned caller cannot make the server buffer bodies before authentication.
	if req.Signature != "" || req.Timestamp != "" {
		body, err := s.readSignedBody(r)
		if err != nil {
			return auth.Principal{}, err
		}
		req.Body = body
	}

	p, err := s.APIKeys.Authenticate(r.Context(), h.Get(headerAPIKey), req)
	if err != nil {
		if errors.Is(err, auth.ErrInvalidAPIKey) {
			return auth.Principal{}, err
		}
		return auth.Principal{}, fmt.Errorf("authenticate api key: %w", err)
	}
	if s.sessionRoute(st.route) {
		// Session routes (logout, second-factor enrollment) act on the owner's login,
		// which a key must not touch.
		return auth.Principal{}, auth.ErrAPIKeyNotAllowed
	}
	return p, nil
}

// readSignedBody reads the whole body, bounded like decode, and puts it back so
// the handler decodes the same bytes the signature covered.
func (s *Server) readSignedBody(r *http.Request) ([]byte, error) {
	limit := s.opts.MaxBodyBytes
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errBadRequest("bad_body", "could not read the request body")
	}
	if int64(len(body)) > limit {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// sessionRoute reports whether pattern is a route with Session access.
func (s *Server) sessionRoute(pattern string) bool {
	for _, rt := range s.routes {
		if rt.Pattern() == pattern {
			return rt.Access == Session
		}
	}
	return false
}

func signingName(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
