// Package replay reads NASDAQ order flow in the LOBSTER format and verifies
// the matching engine against it.
//
// A LOBSTER sample is a pair of CSV files: the messages (one event per row)
// and the order book after each message (the top N price levels per side).
// The Replayer rebuilds the book as it stood before the first message, feeds
// every message through an engine.Book, and compares the engine's top N
// levels with the recorded row after each one. Visible executions are sent
// as aggressive IOC orders from the other side, so the engine picks the
// maker by its own price-time rules and a wrong priority shows up as a
// mismatch.
package replay
