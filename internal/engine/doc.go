// Package engine is the matching engine: one limit order book per symbol with
// strict price-time priority.
//
// The engine is a pure, deterministic state machine. It does no I/O, reads no
// clock, logs nothing and starts no goroutines; a Book is owned by a single
// goroutine and is not safe for concurrent use. Prices are int64 ticks and
// quantities int64 lots, so no floating point ever touches an amount.
//
// The hot paths (add, cancel, match) do not allocate once the book has grown
// to its working size: resting orders live in a slab of nodes linked into one
// FIFO per price level by int32 indices, a fixed open-addressing table maps
// order ids to slots, and each side keeps its price levels in a sorted slice
// with the best price at the end.
package engine
