package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// SignedRequest is what Authenticate needs of the request a key came with.
type SignedRequest struct {
	Method string
	// PathQuery is the path and raw query as in the request line (apikey.PathQuery).
	PathQuery string
	Body      []byte
	Timestamp string // X-Octopus-Timestamp, empty when absent
	Signature string // X-Octopus-Signature, empty when absent
	ClientIP  netip.Addr
}

// Authenticate turns a full key string and its request into a Principal. The
// principal's scopes are the key's scopes that the owner's current role still
// grants, so demoting the owner shrinks every key at once. Any refusal is
// ErrInvalidAPIKey and its reason is logged at debug; a storage failure is
// returned wrapped, so it answers 500 rather than a misleading 401.
func (a *APIKeys) Authenticate(
	ctx context.Context, fullKey string, req SignedRequest,
) (Principal, error) {
	p, err := a.authenticate(ctx, fullKey, req)
	if errors.Is(err, ErrInvalidAPIKey) {
		a.log.DebugContext(ctx, "api key refused", "reason", err.Error())
		return Principal{}, ErrInvalidAPIKey
	}
	return p, err
}

func refuse(id, reason string) error {
	if id == "" {
		return fmt.Errorf("%s: %w", reason, ErrInvalidAPIKey)
	}
	return fmt.Errorf("key %s: %s: %w", id, reason, ErrInvalidAPIKey)
}

func (a *APIKeys) authenticate(
	ctx context.Context, fullKey string, req SignedRequest,
) (Principal, error) {
	id, secret, err := apikey.Parse(fullKey)
	if err != nil {
		return Principal{}, refuse("", "malformed key")
	}
	k, err := a.keys.GetAPIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, refuse(id, "unknown key")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate api key: %w", err)
	}
	if !a.hasher.Verify(k.SecretHash, secret) {
		return Principal{}, refuse(id, "wrong secret")
	}

	now := a.clock()
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return Principal{}, refuse(id, "expired")
	}
	if !addressAllowed(k.AllowedCIDRs, req.ClientIP) {
		a.record(ctx, k.UserID, req.ClientIP, "an api key was used from outside its allowlist")
		return Principal{}, refuse(id, "address not allowed")
	}
	if k.RequireSigned || req.Signature != "" || req.Timestamp != "" {
		if err := a.checkSignature(ctx, k, req, now); err != nil {
			return Principal{}, err
		}
	}

	u, err := a.users.GetUser(ctx, k.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, refuse(id, "owner gone")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate api key: %w", err)
	}
	// Only an administrative lock stops keys. The temporary lockout after failed
	// logins does not: anyone who knows a username could otherwise switch off
	// that user's bots by typing wrong passwords.
	if u.Locked {
		return Principal{}, refuse(id, "owner locked")
	}

	a.touch(ctx, k, now)
	return Principal{UserID: u.ID, Username: u.Username, Role: u.Role,
		Scopes: effectiveScopes(u.Role, k.Scopes), APIKeyID: k.ID, Expires: k.ExpiresAt}, nil
}

// effectiveScopes is the key's scopes that role grants. The result is never nil:
// Principal.Can reads nil scopes as "the whole role".
func effectiveScopes(role string, scopes []string) []rbac.Permission {
	out := make([]rbac.Permission, 0, len(scopes))
	for _, s := range scopes {
		if p := rbac.Permission(s); rbac.Has(role, p) {
			out = append(out, p)
		}
	}
	return out
}

// addressAllowed reports whether ip is inside one of cidrs; an empty list allows
// every address. An entry that no longer parses allows nothing.
func addressAllowed(cidrs []string, ip netip.Addr) bool {
	if len(cidrs) == 0 {
		return true
	}
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// checkSignature verifies a signed request: timestamp window, signature of the
// key's registered scheme, and that the signature was not seen before.
func (a *APIKeys) checkSignature(
	ctx context.Context, k store.APIKey, req SignedRequest, now time.Time,
) error {
	if req.Signature == "" && req.Timestamp == "" {
		return refuse(k.ID, "unsigned request")
	}
	ts, err := apikey.ParseTimestamp(req.Timestamp)
	if err != nil {
		return refuse(k.ID, "malformed timestamp")
	}
	if err := apikey.CheckWindow(ts, now, a.cfg.Window); err != nil {
		return refuse(k.ID, "timestamp outside window")
	}
	scheme, err := apikey.Scheme(req.Signature)
	if err != nil {
		return refuse(k.ID, "malformed signature")
	}

	canonical := apikey.Canonical(req.Method, req.PathQuery, ts, req.Body)
	switch {
	case scheme == apikey.SchemeEd25519 && len(k.PublicKey) > 0:
		err = apikey.VerifyEd25519(k.PublicKey, canonical, req.Signature)
	case scheme == apikey.SchemeHMAC && len(k.SigningSecret) > 0:
		secret, oerr := a.sealer.Open(k.SigningSecret, signingAD(k.ID))
		if oerr != nil {
			// Sealed under another SECRET_KEY or altered in the database.
			return fmt.Errorf("authenticate api key %s: open signing secret: %w", k.ID, oerr)
		}
		err = apikey.VerifyHMAC(secret, canonical, req.Signature)
	default:
		return refuse(k.ID, "signature scheme not registered for this key")
	}
	if err != nil {
		return refuse(k.ID, "bad signature")
	}

	// Verification accepts one text per signature, so the header value is a sound
	// replay key. It stays remembered until its timestamp leaves the window.
	expires := time.UnixMilli(ts).Add(a.cfg.Window)
	fresh, err := a.replay.Claim(ctx, k.ID+" "+req.Signature, expires)
	if err != nil {
		return fmt.Errorf("authenticate api key: %w", err)
	}
	if !fresh {
		a.record(ctx, k.UserID, req.ClientIP, "an api key's signed request was replayed")
		return refuse(k.ID, "replayed signature")
	}
	return nil
}

// touch records the key's use at most once per TouchInterval: the stored time
// covers other processes, the map covers requests racing in this one.
func (a *APIKeys) touch(ctx context.Context, k store.APIKey, now time.Time) {
	every := a.cfg.TouchInterval
	if now.Sub(k.LastUsedAt) < every {
		return
	}
	a.touchMu.Lock()
	if now.Sub(a.touched[k.ID]) < every {
		a.touchMu.Unlock()
		return
	}
	if len(a.touched) >= maxTouched {
		for id, at := range a.touched {
			if now.Sub(at) >= every {
				delete(a.touched, id)
			}
		}
	}
	a.touched[k.ID] = now
	a.touchMu.Unlock()

	// A lost last-used time is no reason to refuse a valid request.
	if err := a.keys.TouchAPIKey(ctx, k.ID, now.UTC()); err != nil {
		a.log.WarnContext(ctx, "api key last-used not recorded", "api_key_id", k.ID, "error", err)
	}
}

func (a *APIKeys) record(ctx context.Context, userID int64, ip netip.Addr, detail string) {
	if a.events != nil {
		a.events.Record(ctx, "suspicious_api_usage", userID, ip.String(), detail)
	}
}
