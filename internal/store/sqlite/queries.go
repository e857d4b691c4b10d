package sqlite

// All SQL of the SQLite backend lives here. Times are bound and read as unix
// microseconds; every value is a parameter.

const (
	userColumns = `id, username, email, role, password_hash, locked, locked_until,
	lockout_count, totp_secret, totp_confirmed, totp_last_step, created_at, updated_at`

	qCreateUser = `INSERT INTO users (username, username_key, email, role, password_hash,
	locked, locked_until, lockout_count, totp_secret, totp_confirmed, totp_last_step,
	created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`

	qGetUser = `SELECT ` + userColumns + ` FROM users WHERE id = ?`

	qGetUserByUsername = `SELECT ` + userColumns + ` FROM users WHERE username_key = ?`

	qListUsers = `SELECT ` + userColumns + ` FROM users
WHERE id > ? AND id < ?
ORDER BY id
LIMIT ?`

	// qUpdateUserPrefix is completed by UpdateUser with the changed columns; the
	// column names come from a fixed list, the values are parameters.
	qUpdateUserPrefix = `UPDATE users SET updated_at = ?`
	qUpdateUserSuffix = ` WHERE id = ? RETURNING ` + userColumns

	qCountActiveAdmins = `SELECT count(*) FROM users WHERE role = 'admin' AND locked = 0`

	qAdvanceTOTPStep = `UPDATE users SET totp_last_step = ?
WHERE id = ? AND totp_last_step < ?`

	qUserExists = `SELECT 1 FROM users WHERE id = ?`

	qDeleteRecoveryCodes = `DELETE FROM recovery_codes WHERE user_id = ?`

	qInsertRecoveryCode = `INSERT INTO recovery_codes (user_id, code_hash, created_at)
VALUES (?, ?, ?)`

	// qUseRecoveryCode marks exactly one unused matching code.
	qUseRecoveryCode = `UPDATE recovery_codes SET used_at = ?
WHERE id = (
	SELECT id FROM recovery_codes
	WHERE user_id = ? AND code_hash = ? AND used_at IS NULL
	ORDER BY id
	LIMIT 1
)`
)

const (
	refreshColumns = `hash, user_id, family_id, expires_at, created_at, used_at, revoked_at`

	qCreateRefreshToken = `INSERT INTO refresh_tokens (` + refreshColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?)`

	qUseRefreshToken = `UPDATE refresh_tokens SET used_at = ?
WHERE hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
RETURNING ` + refreshColumns

	qGetRefreshToken = `SELECT ` + refreshColumns + ` FROM refresh_tokens WHERE hash = ?`

	qRevokeFamily = `UPDATE refresh_tokens SET revoked_at = ?
WHERE family_id = ? AND revoked_at IS NULL`

	qRevokeUserTokens = `UPDATE refresh_tokens SET revoked_at = ?
WHERE user_id = ? AND revoked_at IS NULL`

	// qRecordSessionRevocation keeps the latest revocation time of a user.
	qRecordSessionRevocation = `INSERT INTO session_revocations (user_id, revoked_at)
VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE
SET revoked_at = max(session_revocations.revoked_at, excluded.revoked_at)`

	qSessionsRevokedAt = `SELECT revoked_at FROM session_revocations WHERE user_id = ?`

	// qDenyAccessToken keeps the later expiry when a token is denied twice.
	qDenyAccessToken = `INSERT INTO denied_tokens (jti, expires_at) VALUES (?, ?)
ON CONFLICT (jti) DO UPDATE
SET expires_at = max(denied_tokens.expires_at, excluded.expires_at)`

	qIsAccessTokenDenied = `SELECT 1 FROM denied_tokens WHERE jti = ?`

	signingKeyColumns = `kid, secret, created_at, not_after, verify_last, revoked_at`

	qListSigningKeys = `SELECT ` + signingKeyColumns + ` FROM signing_keys
ORDER BY created_at, kid`

	qInsertSigningKey = `INSERT INTO signing_keys (` + signingKeyColumns + `)
VALUES (?, ?, ?, ?, ?, ?)`

	qRevokeSigningKey = `UPDATE signing_keys SET revoked_at = coalesce(revoked_at, ?)
WHERE kid = ?`

	qPruneRefreshTokens = `DELETE FROM refresh_tokens WHERE expires_at <= ?`
	qPruneDeniedTokens  = `DELETE FROM denied_tokens WHERE expires_at <= ?`
	qPruneSigningKeys   = `DELETE FROM signing_keys WHERE verify_last <= ?`
)

const (
	symbolColumns = `code, base_asset, quote_asset, tick_size, lot_size, halted, created_at`

	qCreateSymbol = `INSERT INTO symbols (` + symbolColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`

	qGetSymbol = `SELECT ` + symbolColumns + ` FROM symbols WHERE code = ?`

	qListSymbols = `SELECT ` + symbolColumns + ` FROM symbols ORDER BY code`

	qSetSymbolHalted = `UPDATE symbols SET halted = ? WHERE code = ?`
)

const (
	// qAddToBalance applies one aggregated delta to an existing balance row; when
	// no row exists yet qInsertBalance creates it. Both are checked by
	// balances_funds. An upsert would not do: SQLite checks CHECK constraints on
	// the proposed row before it resolves the conflict, so a negative delta would
	// fail even when the existing balance covers it.
	qAddToBalance = `UPDATE balances SET total = total + ?, reserved = reserved + ?
WHERE user_id = ? AND asset = ?`

	qInsertBalance = `INSERT INTO balances (user_id, asset, total, reserved)
VALUES (?, ?, ?, ?)`

	qInsertLedgerEntry = `INSERT INTO ledger_entries (user_id, asset, kind, amount,
	reserved, order_id, trade_id, reason, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

	balanceColumns = `user_id, asset, total, reserved`

	qListBalances = `SELECT ` + balanceColumns + ` FROM balances
WHERE user_id = ? ORDER BY asset`

	qAllBalances = `SELECT ` + balanceColumns + ` FROM balances ORDER BY user_id, asset`

	qListLedger = `SELECT id, user_id, asset, kind, amount, reserved, order_id, trade_id,
	reason, created_at
FROM ledger_entries
WHERE user_id = ? AND id > ? AND id < ?
ORDER BY id DESC
LIMIT ?`

	qAssetTotals = `SELECT asset, sum(total), sum(reserved) FROM balances GROUP BY asset`
)

const (
	orderColumns = `id, user_id, symbol, client_order_id, side, type, time_in_force, stp,
	price, quantity, filled, max_notional, reserved, status, reason, created_at, updated_at`

	qInsertOrder = `INSERT INTO orders (` + orderColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qUpdateOrder = `UPDATE orders
SET filled = ?, reserved = ?, status = ?, reason = ?, updated_at = ?
WHERE id = ?`

	qGetOrder = `SELECT ` + orderColumns + ` FROM orders WHERE id = ?`

	// qListOrdersPrefix is completed by ListOrders with the filter's conditions.
	qListOrdersPrefix = `SELECT ` + orderColumns + ` FROM orders WHERE id > ? AND id < ?`
	qListOrdersSuffix = ` ORDER BY id DESC LIMIT ?`

	qOpenOrders = `SELECT ` + orderColumns + ` FROM orders
WHERE symbol = ? AND status IN ('new', 'partially_filled')
ORDER BY id`

	qMaxIDs = `SELECT (SELECT coalesce(max(id), 0) FROM orders),
	(SELECT coalesce(max(id), 0) FROM trades)`
)

const (
	tradeColumns = `id, symbol, price, quantity, buy_order_id, sell_order_id, buyer_id,
	seller_id, taker_side, executed_at`

	qInsertTrade = `INSERT INTO trades (` + tradeColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qListTrades = `SELECT ` + tradeColumns + ` FROM trades
WHERE symbol = ? AND id > ? AND id < ?
ORDER BY id DESC
LIMIT ?`

	// qListUserTrades takes the newest page from each side's index and merges them,
	// which stays fast for users with many trades where an OR would not.
	qListUserTrades = `SELECT ` + tradeColumns + ` FROM trades WHERE id IN (
	SELECT id FROM (
		SELECT id FROM trades WHERE buyer_id = ?1 AND id > ?2 AND id < ?3
		ORDER BY id DESC LIMIT ?4
	)
	UNION
	SELECT id FROM (
		SELECT id FROM trades WHERE seller_id = ?1 AND id > ?2 AND id < ?3
		ORDER BY id DESC LIMIT ?4
	)
)
ORDER BY id DESC
LIMIT ?4`

	qTradesBetween = `SELECT ` + tradeColumns + ` FROM trades
WHERE symbol = ? AND executed_at >= ? AND executed_at < ?
ORDER BY executed_at, id
LIMIT ?`
)

const (
	securityEventColumns = `id, type, severity, user_id, ip, detail, created_at`

	qInsertSecurityEvent = `INSERT INTO security_events (type, severity, user_id, ip,
	detail, created_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id`

	// qListSecurityEventsPrefix is completed by ListSecurityEvents with the filter's
	// conditions.
	qListSecurityEventsPrefix = `SELECT ` + securityEventColumns + ` FROM security_events
WHERE id > ? AND id < ?`
	qListSecurityEventsSuffix = ` ORDER BY id DESC LIMIT ?`
)

const (
	apiKeyColumns = `id, user_id, name, secret_hash, signing_secret, public_key, scopes,
	allowed_cidrs, require_signed, expires_at, last_used_at, created_at`

	qCreateAPIKey = `INSERT INTO api_keys (` + apiKeyColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qGetAPIKey = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE id = ?`

	qListAPIKeys = `SELECT ` + apiKeyColumns + ` FROM api_keys
WHERE user_id = ? ORDER BY created_at, id`

	qDeleteAPIKey = `DELETE FROM api_keys WHERE id = ? AND user_id = ?`

	qTouchAPIKey = `UPDATE api_keys SET last_used_at = ? WHERE id = ?`
)

const (
	qCreateMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
) STRICT`

	qMigrationApplied = `SELECT count(*) FROM schema_migrations WHERE version = ?`

	qRecordMigration = `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
)
