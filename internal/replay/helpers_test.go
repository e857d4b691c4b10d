package replay_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

const (
	sampleMessages  = "AAPL_2012-06-21_34200000_57600000_message_10.csv"
	sampleOrderbook = "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"
)

// readSample returns the real LOBSTER sample kept beside the repository in
// ../shared/data/lobster. It skips when the data is absent, except under
// CI=true where missing data is a failure.
func readSample(tb testing.TB) (messages, orderbook []byte) {
	tb.Helper()
	root, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "data", "lobster")
	messages, err = os.ReadFile(filepath.Join(dir, sampleMessages))
	if err == nil {
		orderbook, err = os.ReadFile(filepath.Join(dir, sampleOrderbook))
	}
	switch {
	case err == nil:
		return messages, orderbook
	case errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") != "true":
		tb.Skipf("LOBSTER sample not found: %v", err)
	default:
		tb.Fatalf("LOBSTER sample: %v", err)
	}
	return nil, nil
}

// sampleIfPresent reads the real sample when it is there, for benchmarks.
func sampleIfPresent() (messages, orderbook []byte, ok bool) {
	root, err := repoRoot()
	if err != nil {
		return nil, nil, false
	}
	dir := filepath.Join(root, "..", "shared", "data", "lobster")
	messages, err = os.ReadFile(filepath.Join(dir, sampleMessages))
	if err != nil {
		return nil, nil, false
	}
	orderbook, err = os.ReadFile(filepath.Join(dir, sampleOrderbook))
	return messages, orderbook, err == nil
}

// repoRoot walks up from the working directory to the one holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// generate records a synthetic but self-consistent LOBSTER pair of n
// messages: adds, deletes and executions of the first order in line at the
// best price, with the book after each written from an engine.Book.
func generate(n, levels int) (messages, orderbook []byte) {
	var msgs, rows bytes.Buffer
	book := engine.NewBook()
	var r engine.Result
	var live []int64
	var queue []engine.Order
	var depth []engine.Level
	rnd := uint64(0x2545F4914F6CDD1D)
	next := func(k uint64) uint64 {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return rnd % k
	}
	nextID := int64(1000)
	for i := range n {
		ts := fmt.Sprintf("%d.%09d", 34200+i/1000, (i%1000)*1000000)
		switch p := next(10); {
		case p < 5 || len(live) < 20:
			nextID++
			side, price, dir := engine.Buy, int64(10000-100*(1+next(15))), 1
			if next(2) == 0 {
				side, price, dir = engine.Sell, int64(10000+100*(1+next(15))), -1
			}
			qty := int64(1 + next(300))
			book.Submit(engine.Order{ID: nextID, Account: nextID, Side: side,
				Type: engine.Limit, TIF: engine.GTC, Price: price, Quantity: qty}, &r)
			live = append(live, nextID)
			fmt.Fprintf(&msgs, "%s,1,%d,%d,%d,%d\n", ts, nextID, qty, price, dir)
		case p < 8:
			k := int(next(uint64(len(live))))
			o, _ := book.Cancel(live[k])
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
			fmt.Fprintf(&msgs, "%s,3,%d,%d,%d,%d\n", ts, o.ID, o.Quantity, o.Price, direction(o.Side))
		default:
			side := engine.Side(1 + next(2))
			price, _, ok := book.Best(side)
			if !ok {
				side = side.Opposite()
				price, _, _ = book.Best(side)
			}
			queue = book.LevelOrders(side, price, queue)
			front := queue[0]
			qty := 1 + int64(next(uint64(front.Quantity)))
			if o, _ := book.Reduce(front.ID, qty); o.Quantity == 0 {
				live = slices.DeleteFunc(live, func(id int64) bool { return id == front.ID })
			}
			fmt.Fprintf(&msgs, "%s,4,%d,%d,%d,%d\n", ts, front.ID, qty, price, direction(side))
		}
		for k := range levels {
			if k > 0 {
				rows.WriteByte(',')
			}
			depth = book.Depth(engine.Sell, levels, depth)
			writeLevel(&rows, depth, k, 9999999999)
			rows.WriteByte(',')
			depth = book.Depth(engine.Buy, levels, depth)
			writeLevel(&rows, depth, k, -9999999999)
		}
		rows.WriteByte('\n')
	}
	return msgs.Bytes(), rows.Bytes()
}

func direction(s engine.Side) int {
	if s == engine.Buy {
		return 1
	}
	return -1
}

func writeLevel(w *bytes.Buffer, depth []engine.Level, k int, empty int64) {
	if k < len(depth) {
		fmt.Fprintf(w, "%d,%d", depth[k].Price, depth[k].Quantity)
		return
	}
	fmt.Fprintf(w, "%d,0", empty)
}
