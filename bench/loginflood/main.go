// Command loginflood measures order entry on a venue under a login flood. It boots a
// whole venue in process on 127.0.0.1 (development mode, SQLite in a temporary
// directory, bcrypt at cost 12), seeds a trader, then times order placement twice:
// once on a quiet venue and once while hundreds of clients keep sending wrong
// passwords. The bounded bcrypt semaphore of the login flow is what should keep the
// second figure close to the first.
//
//	go run ./bench/loginflood                 # defaults: 2000 orders, 8 clients, 300 attackers
//	go run ./bench/loginflood -flood 500 -orders 4000
//
// Per-IP rate limiting is off, on purpose: it would stop a flood from one address
// long before bcrypt, and the flood stands for many addresses that it cannot stop.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/octopus-venue/octopus/internal/app"
	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/config"
)

type options struct {
	orders  int
	clients int
	flood   int
	cost    int
	warmup  time.Duration
	limit   time.Duration
	verbose bool
	profile string
}

func main() {
	var o options
	flag.IntVar(&o.orders, "orders", 2000, "orders placed in each phase")
	flag.IntVar(&o.clients, "clients", 8, "concurrent order clients")
	flag.IntVar(&o.flood, "flood", 300, "concurrent clients sending wrong passwords")
	flag.IntVar(&o.cost, "cost", 12, "bcrypt cost")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "flood time before orders are timed")
	flag.DurationVar(&o.limit, "limit", 60*time.Second, "the whole run stops after this")
	flag.BoolVar(&o.verbose, "v", false, "log the venue to stderr")
	flag.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the flood phase here")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loginflood:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.limit)
	defer cancel()
	dir, err := os.MkdirTemp("", "loginflood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	v, err := startVenue(ctx, dir, o)
	if err != nil {
		return err
	}
	defer v.stop()
	token, err := v.seed(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	quiet, err := placeOrders(ctx, v.url, token, o)
	if err != nil {
		return fmt.Errorf("orders without flood: %w", err)
	}
	fl := startFlood(ctx, v.url, o.flood)
	time.Sleep(o.warmup)
	stopProfile, err := startProfile(o.profile)
	if err != nil {
		fl.stop()
		return err
	}
	busy, err := placeOrders(ctx, v.url, token, o)
	stopProfile()
	stats := fl.stop()
	if err != nil {
		return fmt.Errorf("orders under flood: %w", err)
	}
	report(os.Stdout, o, quiet, busy, stats)
	return nil
}

// startProfile starts a CPU profile into path, when one is asked for.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// venue is the server under test.
type venue struct {
	app  *app.App
	url  string
	stop func()
}

func startVenue(ctx context.Context, dir string, o options) (*venue, error) {
	env := map[string]string{
		"ENVIRONMENT":            config.Development,
		"BCRYPT_COST":            fmt.Sprint(o.cost),
		"DATABASE_URL":           "sqlite://" + filepath.Join(dir, "octopus.db"),
		"SECRET_KEY":             randomHex(32),
		"JWT_SECRET_KEY":         randomHex(32),
		"RATE_LIMIT_ENABLED":     "false",
		"METRICS_ADDR":           "off",
		"SIEM_BUFFER_DIR":        filepath.Join(dir, "siem"),
		"AUDIT_SIGNING_KEY_FILE": filepath.Join(dir, "audit-key.pem"),
		"AUDIT_DIGEST_FILE":      filepath.Join(dir, "audit-digests.jsonl"),
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		val, ok := env[k]
		return val, ok
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, err
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(srvCtx, ln) }()
	stop := func() {
		stopSrv()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
		}
		a.Close()
	}
	return &venue{app: a, url: "http://" + ln.Addr().String() + "/api/v1", stop: stop}, nil
}

const (
	adminPassword  = "Bench-orca-lagoon-41!"
	traderPassword = "Bench-heron-canyon-73!"
	victimPassword = "Bench-marlin-quarry-95!"
)

// seed creates an admin, a funded trader, a symbol and the account the flood
// guesses at, and returns the trader's access token.
func (v *venue) seed(ctx context.Context) (string, error) {
	if _, err := v.app.Accounts.Create(ctx, auth.NewUser{Username: "root", Email: "root@example.com",
		Role: "admin", Password: adminPassword}); err != nil {
		return "", err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	admin, err := login(ctx, c, v.url, "root", adminPassword)
	if err != nil {
		return "", err
	}
	steps := []struct {
		path string
		body map[string]string
	}{
		{"/admin/symbols", map[string]string{"symbol": "BENCH", "base_asset": "BENCH",
			"quote_asset": "USD", "tick_size": "0.01", "lot_size": "1"}},
		{"/admin/users", map[string]string{"username": "trader", "email": "trader@example.com",
			"password": traderPassword, "role": "trader"}},
		{"/admin/users", map[string]string{"username": "victim", "email": "victim@example.com",
			"password": victimPassword, "role": "trader"}},
	}
	for _, s := range steps {
		if _, err := post(ctx, c, v.url+s.path, admin, s.body, http.StatusCreated); err != nil {
			return "", err
		}
	}
	trader, err := v.app.Store.GetUserByUsername(ctx, "trader")
	if err != nil {
		return "", err
	}
	if _, err := post(ctx, c, fmt.Sprintf("%s/admin/accounts/%d/deposits", v.url, trader.ID), admin,
		map[string]string{"asset": "USD", "amount": "100000000", "reason": "benchmark funding"},
		http.StatusCreated); err != nil {
		return "", err
	}
	return login(ctx, c, v.url, "trader", traderPassword)
}

func login(ctx context.Context, c *http.Client, base, user, pw string) (string, error) {
	body, err := post(ctx, c, base+"/auth/login", "", map[string]string{"username": user,
		"password": pw}, http.StatusOK)
	if err != nil {
		return "", err
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return "", fmt.Errorf("login answer: %w", err)
	}
	return t.AccessToken, nil
}

// post sends a JSON body and wants the given status.
func post(ctx context.Context, c *http.Client, url, token string, body any, want int) ([]byte, error) {
	status, data, err := send(ctx, c, url, token, body)
	if err != nil {
		return nil, err
	}
	if status != want {
		return nil, fmt.Errorf("POST %s: %d %s", url, status, data)
	}
	return data, nil
}

func send(ctx context.Context, c *http.Client, url, token string, body any) (int, []byte, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(buf))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// latencies are the order timings of one phase.
type latencies struct {
	took []time.Duration
	wall time.Duration
}

func (l latencies) pct(p float64) time.Duration {
	return l.took[min(len(l.took)-1, int(float64(len(l.took))*p))]
}

// placeOrders sends o.orders resting limit buys from o.clients clients at once.
func placeOrders(ctx context.Context, base, token string, o options) (latencies, error) {
	c := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}
	defer c.CloseIdleConnections()
	var next atomic.Int64
	took := make([]time.Duration, o.orders)
	errs := make(chan error, o.clients)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(o.orders) {
					return
				}
				t0 := time.Now()
				status, body, err := send(ctx, c, base+"/orders", token, map[string]string{
					"symbol": "BENCH", "side": "buy", "type": "limit", "price": "1.00",
					"quantity": "1"})
				took[i] = time.Since(t0)
				if err == nil && status != http.StatusCreated {
					err = fmt.Errorf("order %d: %d %s", i, status, body)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(slices.Collect(chanValues(errs))...); err != nil {
		return latencies{}, err
	}
	slices.Sort(took)
	return latencies{took: took, wall: time.Since(start)}, nil
}

func chanValues[T any](ch <-chan T) func(func(T) bool) {
	return func(yield func(T) bool) {
		for v := range ch {
			if !yield(v) {
				return
			}
		}
	}
}

// floodStats counts the answers the attackers got.
type floodStats struct {
	byStatus map[int]int
	failed   int
	took     time.Duration
}

type flood struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time
	mu     sync.Mutex
	stats  floodStats
}

// startFlood runs n clients sending wrong passwords in a loop, for the account
// "victim" and for names that do not exist, until stopped.
func startFlood(ctx context.Context, base string, n int) *flood {
	ctx, cancel := context.WithCancel(ctx)
	f := &flood{cancel: cancel, start: time.Now(), stats: floodStats{byStatus: map[int]int{}}}
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	c := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	for i := range n {
		f.wg.Go(func() {
			user := "victim"
			if i%2 == 1 {
				user = fmt.Sprintf("nobody%d", i)
			}
			for try := 0; ctx.Err() == nil; try++ {
				status, _, err := send(ctx, c, base+"/auth/login", "", map[string]string{
					"username": user, "password": fmt.Sprintf("Guess-%d-%d!", i, try)})
				f.mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						f.stats.failed++
					}
				} else {
					f.stats.byStatus[status]++
				}
				f.mu.Unlock()
			}
		})
	}
	return f
}

func (f *flood) stop() floodStats {
	f.cancel()
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.took = time.Since(f.start)
	return f.stats
}

func report(w io.Writer, o options, quiet, busy latencies, fs floodStats) {
	fmt.Fprintf(w, "venue on 127.0.0.1, %d cores (GOMAXPROCS %d), bcrypt cost %d, %d order clients\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.cost, o.clients)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\torders\tp50\tp90\tp99\tmax\torders/s\t")
	for _, row := range []struct {
		name string
		l    latencies
	}{{"no flood", quiet}, {fmt.Sprintf("%d-client login flood", o.flood), busy}} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t\n", row.name, len(row.l.took),
			ms(row.l.pct(0.50)), ms(row.l.pct(0.90)), ms(row.l.pct(0.99)),
			ms(row.l.took[len(row.l.took)-1]), float64(len(row.l.took))/row.l.wall.Seconds())
	}
	tw.Flush()

	total := fs.failed
	for _, n := range fs.byStatus {
		total += n
	}
	fmt.Fprintf(w, "\nflood: %d login answers in %.1fs\n", total, fs.took.Seconds())
	codes := make([]int, 0, len(fs.byStatus))
	for code := range fs.byStatus {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		n := fs.byStatus[code]
		fmt.Fprintf(w, "  %d %-22s %7d  %5.1f%%  %6.1f/s\n", code, http.StatusText(code), n,
			100*float64(n)/float64(max(total, 1)), float64(n)/fs.took.Seconds())
	}
	if fs.failed > 0 {
		fmt.Fprintf(w, "  transport errors %13d\n", fs.failed)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
