-- Initial schema. Times are timestamptz (microsecond precision, UTC on the way
-- out); NULL means "never" or "none".

CREATE TABLE users (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text        NOT NULL,
    username_key   text        NOT NULL,
    email          text        NOT NULL DEFAULT '',
    role           text        NOT NULL,
    password_hash  text        NOT NULL,
    locked         boolean     NOT NULL DEFAULT false,
    locked_until   timestamptz,
    lockout_count  integer     NOT NULL DEFAULT 0,
    totp_secret    bytea,
    totp_confirmed boolean     NOT NULL DEFAULT false,
    totp_last_step bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- username_key is the lower-cased username, so "Alice" and "alice" collide.
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE recovery_codes (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text        NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);

CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);

CREATE TABLE refresh_tokens (
    hash       text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  text        NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE denied_tokens (
    jti        text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE INDEX denied_tokens_expires ON denied_tokens (expires_at);

CREATE TABLE session_revocations (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    revoked_at timestamptz NOT NULL
);

CREATE TABLE signing_keys (
    kid         text        PRIMARY KEY,
    secret      bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    not_after   timestamptz,
    verify_last timestamptz,
    revoked_at  timestamptz
);

CREATE TABLE symbols (
    code        text        PRIMARY KEY,
    base_asset  text        NOT NULL,
    quote_asset text        NOT NULL,
    tick_size   bigint      NOT NULL CHECK (tick_size > 0),
    lot_size    bigint      NOT NULL CHECK (lot_size > 0),
    halted      boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);

-- balances_funds is the rule the ledger relies on: a balance never goes below zero
-- nor below what is reserved. Its violation is reported as store.ErrInsufficient.
CREATE TABLE balances (
    user_id  bigint NOT NULL REFERENCES users (id),
    asset    text   NOT NULL,
    total    bigint NOT NULL DEFAULT 0,
    reserved bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, asset),
    CONSTRAINT balances_funds CHECK (reserved >= 0 AND reserved <= total)
);

-- ledger_entries.user_id needs no foreign key of its own: every entry is written
-- in the transaction that creates or updates its balance, and balances.user_id
-- references users. A per-row check would cost a third of the insert.
CREATE TABLE ledger_entries (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL,
    asset      text        NOT NULL,
    kind       text        NOT NULL,
    amount     bigint      NOT NULL,
    reserved   bigint      NOT NULL,
    order_id   bigint,
    trade_id   bigint,
    reason     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id);

CREATE TABLE orders (
    id              bigint      PRIMARY KEY,
    user_id         bigint      NOT NULL REFERENCES users (id),
    symbol          text        NOT NULL REFERENCES symbols (code),
    client_order_id text        NOT NULL DEFAULT '',
    side            text        NOT NULL,
    type            text        NOT NULL,
    time_in_force   text        NOT NULL,
    stp             text        NOT NULL DEFAULT '',
    price           bigint      NOT NULL,
    quantity        bigint      NOT NULL,
    filled          bigint      NOT NULL,
    max_notional    bigint      NOT NULL,
    reserved        bigint      NOT NULL,
    status          text        NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE UNIQUE INDEX orders_client_order_id ON orders (user_id, client_order_id)
    WHERE client_order_id <> '';
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (symbol, id)
    WHERE status IN ('new', 'partially_filled');

CREATE TABLE trades (
    id            bigint      PRIMARY KEY,
    symbol        text        NOT NULL REFERENCES symbols (code),
    price         bigint      NOT NULL,
    quantity      bigint      NOT NULL,
    buy_order_id  bigint      NOT NULL,
    sell_order_id bigint      NOT NULL,
    buyer_id      bigint      NOT NULL,
    seller_id     bigint      NOT NULL,
    taker_side    text        NOT NULL,
    executed_at   timestamptz NOT NULL
);

CREATE INDEX trades_symbol ON trades (symbol, id);
CREATE INDEX trades_buyer ON trades (buyer_id, id);
CREATE INDEX trades_seller ON trades (seller_id, id);
CREATE INDEX trades_symbol_time ON trades (symbol, executed_at);

CREATE TABLE security_events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       text        NOT NULL,
    severity   text        NOT NULL,
    user_id    bigint,
    ip         text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

CREATE INDEX security_events_type ON security_events (type, created_at);
CREATE INDEX security_events_user ON security_events (user_id, id);
CREATE INDEX security_events_ip ON security_events (ip, id);

CREATE TABLE api_keys (
    id             text        PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           text        NOT NULL,
    secret_hash    text        NOT NULL,
    signing_secret bytea,
    public_key     bytea,
    scopes         text[]      NOT NULL DEFAULT '{}',
    allowed_cidrs  text[]      NOT NULL DEFAULT '{}',
    require_signed boolean     NOT NULL DEFAULT false,
    expires_at     timestamptz,
    last_used_at   timestamptz,
    created_at     timestamptz NOT NULL
);

CREATE INDEX api_keys_user ON api_keys (user_id);

-- expect_rows raises no_data_found (SQLSTATE P0002) unless got equals want.
-- Batches are sent as one pipeline that the server commits at its Sync message,
-- so a check that must undo the batch has to fail on the server, not in Go.
CREATE FUNCTION expect_rows(got bigint, want bigint, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF got <> want THEN
        RAISE EXCEPTION '% of % % found', got, want, what USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
