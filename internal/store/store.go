// Package store declares the persistence contract of the venue and the records that
// cross it. Two backends implement it: store/sqlite (embedded, the default) and
// store/postgres. Stores persist and fetch; they never decide policy.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every backend returns, so callers compare with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict is a unique constraint hit: a taken username, symbol or client order id.
	ErrConflict = errors.New("already exists")
	// ErrInsufficient is a balance that would go below zero or below its reservation.
	ErrInsufficient = errors.New("insufficient balance")
	// ErrTokenReused is a refresh token presented after it was already used or revoked.
	ErrTokenReused = errors.New("refresh token reused")
)

// Page asks for one page of a list ordered by id. Before, when non-zero, returns only
// rows with a smaller id (newest-first lists); After, a larger id (oldest-first lists).
type Page struct {
	Before int64
	After  int64
	Limit  int
}

// Store is everything the venue persists. Consumers should depend on the narrow
// interfaces below rather than on Store.
type Store interface {
	UserStore
	SessionStore
	SymbolStore
	LedgerStore
	OrderStore
	TradeStore
	SecurityStore
	APIKeyStore
	// Migrate brings the schema to the newest version; it is idempotent.
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Backend names the implementation: "sqlite" or "postgres".
	Backend() string
	Close() error
}

// User is an account holder. One user owns exactly one trading account, keyed by the
// user id.
type User struct {
	ID           int64
	Username     string
	Email        string
	Role         string
	PasswordHash string
	Locked       bool // locked by an admin until unlocked
	// LockedUntil is a temporary lockout after repeated failures; zero when none.
	LockedUntil  time.Time
	LockoutCount int // lockouts so far, so each repeat lasts longer
	// TOTPSecret is the sealed (encrypted) TOTP seed; nil when MFA is not enrolled.
	TOTPSecret    []byte
	TOTPConfirmed bool
	TOTPLastStep  int64 // last accepted time step, so a code works only once
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// UserUpdate lists the fields an update changes; nil fields stay as they are.
type UserUpdate struct {
	Role          *string
	Email         *string
	PasswordHash  *string
	Locked        *bool
	LockedUntil   *time.Time
	LockoutCount  *int
	TOTPSecret    *[]byte
	TOTPConfirmed *bool
}

// UserStore keeps users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error // sets ID, CreatedAt, UpdatedAt
	GetUser(ctx context.Context, id int64) (User, error)
	GetUserByUsername(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context, p Page) ([]User, error) // oldest first, Page.After
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (User, error)
	// CountActiveAdmins counts admins that are not locked, to protect the last one.
	CountActiveAdmins(ctx context.Context) (int, error)
	// AdvanceTOTPStep records step as used only if it is newer than the last one, and
	// reports whether it was; this is what makes a code single use under concurrency.
	AdvanceTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// ReplaceRecoveryCodes stores a fresh set of hashed recovery codes for a user.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error
	// UseRecoveryCode consumes one matching unused code; false when none matched.
	UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
}

// RefreshToken is one link of a refresh token family. Only its hash is stored.
type RefreshToken struct {
	Hash      string
	UserID    int64
	FamilyID  string
	ExpiresAt time.Time
	CreatedAt time.Time
	UsedAt    time.Time // zero until used
	RevokedAt time.Time // zero until revoked
}

// SigningKey is one key of the JWT key ring. Secret is sealed under JWT_SECRET_KEY.
type SigningKey struct {
	KID        string
	Secret     []byte
	CreatedAt  time.Time
	NotAfter   time.Time // stops signing
	VerifyLast time.Time // stops verifying (NotAfter + the longest token lifetime)
	RevokedAt  time.Time // zero unless revoked
}

// SessionStore keeps refresh tokens, revoked access tokens and the signing key ring.
type SessionStore interface {
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// UseRefreshToken marks an unused, unrevoked, unexpired token used and returns it.
	// A token that exists but was used or revoked returns it with ErrTokenReused, so
	// the caller can revoke the family; an unknown or expired one, ErrNotFound.
	UseRefreshToken(ctx context.Context, hash string, now time.Time) (RefreshToken, error)
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error
	RevokeUserSessions(ctx context.Context, userID int64, now time.Time) error
	// DenyAccessToken stores a revoked access token id until it would expire anyway.
	DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	IsAccessTokenDenied(ctx context.Context, jti string) (bool, error)
	// SessionsRevokedAt returns when all of a user's sessions were last revoked;
	// access tokens issued before it no longer count. Zero when never.
	SessionsRevokedAt(ctx context.Context, userID int64) (time.Time, error)
	ListSigningKeys(ctx context.Context) ([]SigningKey, error) // oldest first
	InsertSigningKey(ctx context.Context, k SigningKey) error
	RevokeSigningKey(ctx context.Context, kid string, now time.Time) error
	// PruneExpired deletes tokens, denials and keys that can no longer matter.
	PruneExpired(ctx context.Context, now time.Time) error
}

// Symbol is a tradable pair. TickSize and LotSize are in 10^-8 units.
type Symbol struct {
	Code       string
	BaseAsset  string
	QuoteAsset string
	TickSize   int64
	LotSize    int64
	Halted     bool
	CreatedAt  time.Time
}

// SymbolStore keeps symbols.
type SymbolStore interface {
	CreateSymbol(ctx context.Context, s *Symbol) error
	GetSymbol(ctx context.Context, code string) (Symbol, error)
	ListSymbols(ctx context.Context) ([]Symbol, error)
	SetSymbolHalted(ctx context.Context, code string, halted bool) error
}

// Ledger entry kinds.
const (
	EntryDeposit    = "deposit"
	EntryWithdrawal = "withdrawal"
	EntryReserve    = "reserve"
	EntryRelease    = "release"
	EntryTrade      = "trade"
)

// LedgerEntry is one change to one balance. Amount changes the total, Reserved the
// reserved part; the balance is the sum of its entries, which is what makes every
// balance change traceable.
type LedgerEntry struct {
	ID        int64
	UserID    int64
	Asset     string
	Kind      string
	Amount    int64
	Reserved  int64
	OrderID   int64 // zero when not about an order
	TradeID   int64 // zero when not about a trade
	Reason    string
	CreatedAt time.Time
}

// Balance is one asset of one account. Available is Total - Reserved.
type Balance struct {
	UserID   int64
	Asset    string
	Total    int64
	Reserved int64
}

// LedgerStore keeps balances and the entries that explain them.
type LedgerStore interface {
	// ApplyEntries writes entries and applies them to balances in one transaction; if
	// any balance would go negative or below its reservation nothing is written and
	// ErrInsufficient is returned.
	ApplyEntries(ctx context.Context, entries []LedgerEntry) error
	ListBalances(ctx context.Context, userID int64) ([]Balance, error)
	AllBalances(ctx context.Context) ([]Balance, error)
	ListLedger(ctx context.Context, userID int64, p Page) ([]LedgerEntry, error) // newest first
	// AssetTotals sums Total and Reserved per asset across all accounts.
	AssetTotals(ctx context.Context) (map[string]Balance, error)
}

// Order statuses.
const (
	StatusNew             = "new"
	StatusPartiallyFilled = "partially_filled"
	StatusFilled          = "filled"
	StatusCancelled       = "cancelled"
	StatusExpired         = "expired"
	StatusRejected        = "rejected"
)

// Order is an order as the venue recorded it. Price and quantities are in ticks and
// lots of its symbol; Reserved is the amount still held for it.
type Order struct {
	ID            int64
	UserID        int64
	Symbol        string
	ClientOrderID string
	Side          string // buy, sell
	Type          string // limit, market
	TimeInForce   string // GTC, IOC, FOK
	STP           string // expire_taker, expire_maker, expire_both
	Price         int64  // ticks; zero for market orders
	Quantity      int64  // lots ordered
	Filled        int64  // lots filled
	MaxNotional   int64  // market buys: the quote budget; zero otherwise
	Reserved      int64  // amount still reserved (quote for buys, base for sells)
	Status        string
	Reason        string // why it ended early: self_trade_prevention, fok_unfillable...
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// OrderUpdate is the new state of an order after a batch.
type OrderUpdate struct {
	ID        int64
	Filled    int64
	Reserved  int64
	Status    string
	Reason    string
	UpdatedAt time.Time
}

// Trade is one fill between a resting and an incoming order.
type Trade struct {
	ID          int64
	Symbol      string
	Price       int64 // ticks, the resting order's price
	Quantity    int64 // lots
	BuyOrderID  int64
	SellOrderID int64
	BuyerID     int64
	SellerID    int64
	TakerSide   string
	ExecutedAt  time.Time
}

// Batch is what one group commit of a symbol's sequencer writes in one transaction.
type Batch struct {
	NewOrders []Order
	Updates   []OrderUpdate
	Trades    []Trade
	Entries   []LedgerEntry
}

// OrderFilter narrows an order list.
type OrderFilter struct {
	UserID        int64
	Symbol        string
	ClientOrderID string
	OpenOnly      bool
}

// OrderStore keeps orders and commits sequencer batches.
type OrderStore interface {
	// CommitBatch writes a batch atomically: all of it or none of it.
	CommitBatch(ctx context.Context, b *Batch) error
	GetOrder(ctx context.Context, id int64) (Order, error)
	ListOrders(ctx context.Context, f OrderFilter, p Page) ([]Order, error) // newest first
	// OpenOrders returns the resting orders of a symbol in time priority (id order).
	OpenOrders(ctx context.Context, symbol string) ([]Order, error)
	// MaxIDs returns the highest order and trade ids, so id sequences survive restarts.
	MaxIDs(ctx context.Context) (orderID, tradeID int64, err error)
}

// TradeStore reads trades.
type TradeStore interface {
	ListTrades(ctx context.Context, symbol string, p Page) ([]Trade, error) // newest first
	ListUserTrades(ctx context.Context, userID int64, p Page) ([]Trade, error)
	// TradesBetween returns a symbol's trades in [from, to) oldest first, at most limit.
	TradesBetween(ctx context.Context, symbol string, from, to time.Time, limit int) ([]Trade, error)
}

// SecurityEvent is a recorded security-relevant happening. Type is open-ended.
type SecurityEvent struct {
	ID        int64
	Type      string
	Severity  string
	UserID    int64 // zero when unknown
	IP        string
	Detail    string
	CreatedAt time.Time
}

// SecurityEventFilter narrows a security event list; zero fields match all.
type SecurityEventFilter struct {
	Type   string
	UserID int64
	IP     string
	From   time.Time
	To     time.Time
}

// SecurityStore keeps security events.
type SecurityStore interface {
	InsertSecurityEvent(ctx context.Context, e *SecurityEvent) error
	ListSecurityEvents(ctx context.Context, f SecurityEventFilter, p Page) ([]SecurityEvent, error)
}

// APIKey is a service credential. Only a keyed hash of its secret is stored.
type APIKey struct {
	ID         string // public key id, part of the key string
	UserID     int64
	Name       string
	SecretHash string
	// SigningSecret is the sealed secret for HMAC request signing; nil when unused.
	SigningSecret []byte
	PublicKey     []byte // Ed25519 key for request signing; nil when unused
	Scopes        []string
	AllowedCIDRs  []string
	RequireSigned bool
	ExpiresAt     time.Time // zero: no expiry
	LastUsedAt    time.Time
	CreatedAt     time.Time
}

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error)
	DeleteAPIKey(ctx context.Context, userID int64, id string) error // ErrNotFound if not theirs
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}
