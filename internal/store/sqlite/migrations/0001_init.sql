-- Initial schema. Times are INTEGER unix microseconds in UTC; NULL means "never" or
-- "none". Tables are STRICT so a wrong type (for example an integer overflow turned
-- into REAL) is an error instead of a silently stored value.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL,
    username_key   TEXT    NOT NULL,
    email          TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    locked         INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    lockout_count  INTEGER NOT NULL DEFAULT 0,
    totp_secret    BLOB,
    totp_confirmed INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

-- username_key is the lower-cased username, so "Alice" and "alice" collide.
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);

CREATE TABLE refresh_tokens (
    hash       TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) STRICT;

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE denied_tokens (
    jti        TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX denied_tokens_expires ON denied_tokens (expires_at);

CREATE TABLE session_revocations (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    revoked_at INTEGER NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    secret      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    not_after   INTEGER,
    verify_last INTEGER,
    revoked_at  INTEGER
) STRICT;

CREATE TABLE symbols (
    code        TEXT    PRIMARY KEY,
    base_asset  TEXT    NOT NULL,
    quote_asset TEXT    NOT NULL,
    tick_size   INTEGER NOT NULL CHECK (tick_size > 0),
    lot_size    INTEGER NOT NULL CHECK (lot_size > 0),
    halted      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
) STRICT;

-- balances_funds is the rule the ledger relies on: a balance never goes below zero
-- nor below what is reserved. Its violation is reported as store.ErrInsufficient.
CREATE TABLE balances (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    asset    TEXT    NOT NULL,
    total    INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, asset),
    CONSTRAINT balances_funds CHECK (reserved >= 0 AND reserved <= total)
) STRICT;

-- ledger_entries.user_id needs no foreign key of its own: every entry is written
-- in the transaction that creates or updates its balance, and balances.user_id
-- references users.
CREATE TABLE ledger_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    asset      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    reserved   INTEGER NOT NULL,
    order_id   INTEGER,
    trade_id   INTEGER,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    symbol          TEXT    NOT NULL REFERENCES symbols (code),
    client_order_id TEXT    NOT NULL DEFAULT '',
    side            TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    time_in_force   TEXT    NOT NULL,
    stp             TEXT    NOT NULL DEFAULT '',
    price           INTEGER NOT NULL,
    quantity        INTEGER NOT NULL,
    filled          INTEGER NOT NULL,
    max_notional    INTEGER NOT NULL,
    reserved        INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX orders_client_order_id ON orders (user_id, client_order_id)
    WHERE client_order_id <> '';
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (symbol, id)
    WHERE status IN ('new', 'partially_filled');

CREATE TABLE trades (
    id            INTEGER PRIMARY KEY,
    symbol        TEXT    NOT NULL REFERENCES symbols (code),
    price         INTEGER NOT NULL,
    quantity      INTEGER NOT NULL,
    buy_order_id  INTEGER NOT NULL,
    sell_order_id INTEGER NOT NULL,
    buyer_id      INTEGER NOT NULL,
    seller_id     INTEGER NOT NULL,
    taker_side    TEXT    NOT NULL,
    executed_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX trades_symbol ON trades (symbol, id);
CREATE INDEX trades_buyer ON trades (buyer_id, id);
CREATE INDEX trades_seller ON trades (seller_id, id);
CREATE INDEX trades_symbol_time ON trades (symbol, executed_at);

CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT    NOT NULL,
    severity   TEXT    NOT NULL,
    user_id    INTEGER,
    ip         TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX security_events_type ON security_events (type, created_at);
CREATE INDEX security_events_user ON security_events (user_id, id);
CREATE INDEX security_events_ip ON security_events (ip, id);

-- scopes and allowed_cidrs are JSON arrays of strings.
CREATE TABLE api_keys (
    id             TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    secret_hash    TEXT    NOT NULL,
    signing_secret BLOB,
    public_key     BLOB,
    scopes         TEXT    NOT NULL DEFAULT '[]',
    allowed_cidrs  TEXT    NOT NULL DEFAULT '[]',
    require_signed INTEGER NOT NULL DEFAULT 0,
    expires_at     INTEGER,
    last_used_at   INTEGER,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_user ON api_keys (user_id);
