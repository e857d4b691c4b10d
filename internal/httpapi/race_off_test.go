//go:build !race

package httpapi_test

// raceEnabled is true under the race detector, which slows bcrypt several times.
const raceEnabled = false
