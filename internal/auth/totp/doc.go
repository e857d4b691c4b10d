// Package totp implements time-based one-time passwords (RFC 6238) for
// authenticator apps, and single-use recovery codes.
//
// Codes are the common authenticator profile: HMAC-SHA-1, 6 digits, a 30
// second step, and one step of clock skew accepted either side. The clock is
// always passed in, never read here.
//
// Validate returns the time step a code matched. A code stays valid for up to
// three steps, so to stop it being replayed the caller stores the last
// accepted step per user and accepts a code only if its step is greater than
// that stored step; ValidateAfter does the comparison. Storing the step must
// be atomic with the check (a conditional UPDATE) where logins can race.
//
// Recovery codes are 60 random bits written as xxxx-xxxx-xxxx in Crockford's
// base32 alphabet, which has no I, L, O or U, so codes read aloud or retyped
// survive. Only their SHA-256 hashes are stored.
package totp
