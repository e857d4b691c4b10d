// Package password hashes and checks user passwords.
//
// A Hasher stores passwords with bcrypt at a configured cost and offers a
// dummy comparison of the same cost, so that a login for an unknown user takes
// as long as one for a known user. A Policy decides whether a new password is
// acceptable: length, optional character classes, a zxcvbn strength score that
// penalises the user's own name and e-mail, zxcvbn's common-password lists and
// an optional breach corpus. BreachFile answers breach queries from a local
// copy of the Pwned Passwords SHA-1 download with a binary search on disk, so
// no password or hash prefix ever leaves the machine.
//
// bcrypt reads at most 72 bytes of its input. This package never truncates:
// the Policy rejects passwords longer than 72 bytes and Hash refuses them with
// ErrTooLong. Rejecting was chosen over pre-hashing (for example SHA-256 then
// base64 into bcrypt) because the stored hashes stay plain, portable bcrypt,
// the rule is easy to explain to a user, and 72 bytes is more than people
// type and more than password managers generate by default.
package password
