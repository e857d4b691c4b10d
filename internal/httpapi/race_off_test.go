//go:build !race

package httpapi_test

// raceEnabled is true under the race detector, which slows bcrypt too much for timing tests.
const raceEnabled = false
