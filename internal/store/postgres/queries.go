package postgres

// All SQL of the PostgreSQL backend lives here; every value is a parameter.
// Batch writes pass one array per column and unnest them, so a whole batch is a
// handful of statements however many rows it holds.

const (
	userColumns = `id, username, email, role, password_hash, locked, locked_until,
	lockout_count, totp_secret, totp_confirmed, totp_last_step, created_at, updated_at`

	qCreateUser = `INSERT INTO users (username, username_key, email, role, password_hash,
	locked, locked_until, lockout_count, totp_secret, totp_confirmed, totp_last_step,
	created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
RETURNING id`

	qGetUser = `SELECT ` + userColumns + ` FROM users WHERE id = $1`

	qGetUserByUsername = `SELECT ` + userColumns + ` FROM users WHERE username_key = $1`

	qListUsers = `SELECT ` + userColumns + ` FROM users
WHERE id > $1 AND id < $2
ORDER BY id
LIMIT $3`

	// qUpdateUserPrefix is completed by UpdateUser with the changed columns; the
	// column names come from a fixed list, the values are parameters.
	qUpdateUserPrefix = `UPDATE users SET updated_at = $1`
	qUpdateUserSuffix = ` WHERE id = $%d RETURNING ` + userColumns

	qCountActiveAdmins = `SELECT count(*) FROM users WHERE role = 'admin' AND NOT locked`

	qAdvanceTOTPStep = `UPDATE users SET totp_last_step = $1
WHERE id = $2 AND totp_last_step < $1`

	qUserExists = `SELECT true FROM users WHERE id = $1`

	qDeleteRecoveryCodes = `DELETE FROM recovery_codes WHERE user_id = $1`

	qInsertRecoveryCodes = `INSERT INTO recovery_codes (user_id, code_hash, created_at)
SELECT $1, code_hash, $3 FROM unnest($2::text[]) AS c(code_hash)`

	// qUseRecoveryCode marks exactly one unused matching code. The outer
	// used_at check is re-evaluated after a concurrent use commits, so two
	// sessions racing for the same code cannot both win.
	qUseRecoveryCode = `UPDATE recovery_codes SET used_at = $1
WHERE used_at IS NULL AND id = (
	SELECT id FROM recovery_codes
	WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL
	ORDER BY id
	LIMIT 1
)`
)

const (
	refreshColumns = `hash, user_id, family_id, expires_at, created_at, used_at, revoked_at`

	qCreateRefreshToken = `INSERT INTO refresh_tokens (` + refreshColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

	qUseRefreshToken = `UPDATE refresh_tokens SET used_at = $1
WHERE hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
RETURNING ` + refreshColumns

	qGetRefreshToken = `SELECT ` + refreshColumns + ` FROM refresh_tokens WHERE hash = $1`

	qRevokeFamily = `UPDATE refresh_tokens SET revoked_at = $1
WHERE family_id = $2 AND revoked_at IS NULL`

	qRevokeUserTokens = `UPDATE refresh_tokens SET revoked_at = $1
WHERE user_id = $2 AND revoked_at IS NULL`

	// qRecordSessionRevocation keeps the latest revocation time of a user.
	qRecordSessionRevocation = `INSERT INTO session_revocations (user_id, revoked_at)
VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE
SET revoked_at = greatest(session_revocations.revoked_at, excluded.revoked_at)`

	qSessionsRevokedAt = `SELECT revoked_at FROM session_revocations WHERE user_id = $1`

	// qDenyAccessToken keeps the later expiry when a token is denied twice.
	qDenyAccessToken = `INSERT INTO denied_tokens (jti, expires_at) VALUES ($1, $2)
ON CONFLICT (jti) DO UPDATE
SET expires_at = greatest(denied_tokens.expires_at, excluded.expires_at)`

	qIsAccessTokenDenied = `SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE jti = $1)`

	signingKeyColumns = `kid, secret, created_at, not_after, verify_last, revoked_at`

	qListSigningKeys = `SELECT ` + signingKeyColumns + ` FROM signing_keys
ORDER BY created_at, kid COLLATE "C"`

	qInsertSigningKey = `INSERT INTO signing_keys (` + signingKeyColumns + `)
VALUES ($1, $2, $3, $4, $5, $6)`

	qRevokeSigningKey = `UPDATE signing_keys SET revoked_at = coalesce(revoked_at, $1)
WHERE kid = $2`

	qPruneRefreshTokens = `DELETE FROM refresh_tokens WHERE expires_at <= $1`
	qPruneDeniedTokens  = `DELETE FROM denied_tokens WHERE expires_at <= $1`
	qPruneSigningKeys   = `DELETE FROM signing_keys WHERE verify_last <= $1`
)

const (
	symbolColumns = `code, base_asset, quote_asset, tick_size, lot_size, halted, created_at`

	qCreateSymbol = `INSERT INTO symbols (` + symbolColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

	qGetSymbol = `SELECT ` + symbolColumns + ` FROM symbols WHERE code = $1`

	qListSymbols = `SELECT ` + symbolColumns + ` FROM symbols ORDER BY code COLLATE "C"`

	qSetSymbolHalted = `UPDATE symbols SET halted = $1 WHERE code = $2`
)

// Balance changes take three statements over arrays of (user_id, asset) sorted
// the same way in every transaction:
//
//  1. qEnsureBalances creates missing rows at zero;
//  2. qLockBalances locks the rows in (user_id, asset) order, so two batches
//     touching the same balances queue up instead of deadlocking;
//  3. qAddToBalances adds the deltas, checked by balances_funds.
//
// A single INSERT ... ON CONFLICT DO UPDATE with the deltas does not work:
// PostgreSQL checks CHECK constraints on the proposed row before it detects the
// conflict, so a delta such as (total 0, reserved +10) fails even when the
// existing balance covers it.
const (
	qEnsureBalances = `INSERT INTO balances (user_id, asset)
SELECT user_id, asset FROM unnest($1::bigint[], $2::text[]) AS d(user_id, asset)
ORDER BY user_id, asset COLLATE "C"
ON CONFLICT (user_id, asset) DO NOTHING`

	qLockBalances = `SELECT true FROM balances
WHERE (user_id, asset) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
ORDER BY user_id, asset COLLATE "C"
FOR UPDATE`

	qAddToBalances = `UPDATE balances AS b
SET total = b.total + d.total, reserved = b.reserved + d.reserved
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
	AS d(user_id, asset, total, reserved)
WHERE b.user_id = d.user_id AND b.asset = d.asset`

	// qInsertLedgerEntries keeps the entries' order in their ids.
	qInsertLedgerEntries = `INSERT INTO ledger_entries (user_id, asset, kind, amount,
	reserved, order_id, trade_id, reason, created_at)
SELECT user_id, asset, kind, amount, reserved, nullif(order_id, 0), nullif(trade_id, 0),
	reason, created_at
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
	$6::bigint[], $7::bigint[], $8::text[], $9::timestamptz[])
	WITH ORDINALITY
	AS e(user_id, asset, kind, amount, reserved, order_id, trade_id, reason, created_at, n)
ORDER BY n`

	balanceColumns = `user_id, asset, total, reserved`

	qListBalances = `SELECT ` + balanceColumns + ` FROM balances
WHERE user_id = $1 ORDER BY asset COLLATE "C"`

	qAllBalances = `SELECT ` + balanceColumns + ` FROM balances
ORDER BY user_id, asset COLLATE "C"`

	qListLedger = `SELECT id, user_id, asset, kind, amount, reserved, order_id, trade_id,
	reason, created_at
FROM ledger_entries
WHERE user_id = $1 AND id > $2 AND id < $3
ORDER BY id DESC
LIMIT $4`

	// The sums are numeric so that they cannot overflow in SQL; Go checks they
	// fit in int64.
	qAssetTotals = `SELECT asset, sum(total)::text, sum(reserved)::text
FROM balances GROUP BY asset`
)

const (
	orderColumns = `id, user_id, symbol, client_order_id, side, type, time_in_force, stp,
	price, quantity, filled, max_notional, reserved, status, reason, created_at, updated_at`

	qInsertOrders = `INSERT INTO orders (` + orderColumns + `)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
	$6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[],
	$12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::timestamptz[],
	$17::timestamptz[])`

	// qUpdateOrders fails with no_data_found unless every order in it exists.
	qUpdateOrders = `WITH changed AS (
	UPDATE orders AS o
	SET filled = u.filled, reserved = u.reserved, status = u.status, reason = u.reason,
		updated_at = u.updated_at
	FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
		$6::timestamptz[]) AS u(id, filled, reserved, status, reason, updated_at)
	WHERE o.id = u.id
	RETURNING o.id
)
SELECT expect_rows(count(*), cardinality($1::bigint[]), 'orders to update') FROM changed`

	qGetOrder = `SELECT ` + orderColumns + ` FROM orders WHERE id = $1`

	// qListOrdersPrefix is completed by ListOrders with the filter's conditions.
	qListOrdersPrefix = `SELECT ` + orderColumns + ` FROM orders WHERE id > $1 AND id < $2`
	qListOrdersSuffix = ` ORDER BY id DESC LIMIT $%d`

	qOpenOrders = `SELECT ` + orderColumns + ` FROM orders
WHERE symbol = $1 AND status IN ('new', 'partially_filled')
ORDER BY id`

	qMaxIDs = `SELECT (SELECT coalesce(max(id), 0) FROM orders),
	(SELECT coalesce(max(id), 0) FROM trades)`
)

const (
	tradeColumns = `id, symbol, price, quantity, buy_order_id, sell_order_id, buyer_id,
	seller_id, taker_side, executed_at`

	qInsertTrades = `INSERT INTO trades (` + tradeColumns + `)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
	$6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::timestamptz[])`

	qListTrades = `SELECT ` + tradeColumns + ` FROM trades
WHERE symbol = $1 AND id > $2 AND id < $3
ORDER BY id DESC
LIMIT $4`

	// qListUserTrades takes the newest page from each side's index and merges them,
	// which stays fast for users with many trades where an OR would not.
	qListUserTrades = `SELECT ` + tradeColumns + ` FROM trades WHERE id IN (
	(SELECT id FROM trades WHERE buyer_id = $1 AND id > $2 AND id < $3
		ORDER BY id DESC LIMIT $4)
	UNION
	(SELECT id FROM trades WHERE seller_id = $1 AND id > $2 AND id < $3
		ORDER BY id DESC LIMIT $4)
)
ORDER BY id DESC
LIMIT $4`

	qTradesBetween = `SELECT ` + tradeColumns + ` FROM trades
WHERE symbol = $1 AND executed_at >= $2 AND executed_at < $3
ORDER BY executed_at, id
LIMIT $4`
)

const (
	securityEventColumns = `id, type, severity, user_id, ip, detail, created_at`

	qInsertSecurityEvent = `INSERT INTO security_events (type, severity, user_id, ip,
	detail, created_at)
VALUES ($1, $2, nullif($3::bigint, 0), $4, $5, $6)
RETURNING id`

	// qListSecurityEventsPrefix is completed by ListSecurityEvents with the
	// filter's conditions.
	qListSecurityEventsPrefix = `SELECT ` + securityEventColumns + ` FROM security_events
WHERE id > $1 AND id < $2`
	qListSecurityEventsSuffix = ` ORDER BY id DESC LIMIT $%d`
)

const (
	apiKeyColumns = `id, user_id, name, secret_hash, signing_secret, public_key, scopes,
	allowed_cidrs, require_signed, expires_at, last_used_at, created_at`

	qCreateAPIKey = `INSERT INTO api_keys (` + apiKeyColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

	qGetAPIKey = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE id = $1`

	qListAPIKeys = `SELECT ` + apiKeyColumns + ` FROM api_keys
WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`

	qDeleteAPIKey = `DELETE FROM api_keys WHERE id = $1 AND user_id = $2`

	qTouchAPIKey = `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`
)

const (
	// migrationLockClass is the first key of the advisory lock migrations take;
	// the second is a hash of the schema, so each schema migrates on its own.
	migrationLockClass = 0x6f63746f // "octo"

	qLockMigrations = `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`

	qCreateMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    bigint      PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

	qMigrationApplied = `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`

	qRecordMigration = `INSERT INTO schema_migrations (version) VALUES ($1)`
)
