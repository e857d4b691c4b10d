// Package trading takes orders in, checks and reserves funds, hands each symbol's
// orders to that symbol's sequencer (the single writer of its book) and answers the
// client only after the sequencer's batch is committed.
package trading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/octopus-venue/octopus/internal/ledger"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
)

// Errors the HTTP layer maps to statuses.
var (
	ErrUnknownSymbol     = errors.New("unknown symbol")
	ErrHalted            = errors.New("trading is halted for this symbol")
	ErrInsufficientFunds = ledger.ErrInsufficientFunds
	ErrNotFound          = errors.New("order not found")
	ErrNotOpen           = errors.New("order is no longer open")
	ErrUnavailable       = errors.New("order could not be committed")
	ErrClosed            = errors.New("trading service is shutting down")
)

// InvalidError is a request the venue refuses as malformed; Field names the input.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Store is the slice of storage trading needs.
type Store interface {
	ListSymbols(ctx context.Context) ([]store.Symbol, error)
	AllBalances(ctx context.Context) ([]store.Balance, error)
	CommitBatch(ctx context.Context, b *store.Batch) error
	GetOrder(ctx context.Context, id int64) (store.Order, error)
	ListOrders(ctx context.Context, f store.OrderFilter, p store.Page) ([]store.Order, error)
	OpenOrders(ctx context.Context, symbol string) ([]store.Order, error)
	MaxIDs(ctx context.Context) (orderID, tradeID int64, err error)
}

// Hooks let metrics watch the sequencers without trading importing a metrics library.
type Hooks struct {
	// OnBatch is called after every commit attempt of a sequencer.
	OnBatch func(symbol string, orders, trades int, match, commit time.Duration, err error)
}

// Options configure a Service.
type Options struct {
	BatchSize int
	Clock     func() time.Time
	Logger    *slog.Logger
	Hooks     Hooks
}

// Service is the venue's order intake.
type Service struct {
	store  Store
	ledger *ledger.Ledger
	opts   Options
	log    *slog.Logger

	orderID atomic.Int64
	tradeID atomic.Int64

	mu     sync.RWMutex
	seqs   map[string]*sequencer
	closed bool
	wg     sync.WaitGroup

	claimsMu sync.Mutex
	claims   map[claimKey]chan struct{}

	// postMu serialises deposits and withdrawals, for the supply check.
	postMu sync.Mutex

	// dirty is set when a commit's outcome is unknown (the database failed mid-way):
	// memory may then disagree with the store, so every state change is refused
	// until Run has reloaded balances and books from the store.
	dirty atomic.Bool
}

type claimKey struct {
	user int64
	id   string
}

// New loads balances, symbols and open orders, rebuilds every book and starts one
// sequencer per symbol.
func New(ctx context.Context, st Store, opts Options) (*Service, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	balances, err := st.AllBalances(ctx)
	if err != nil {
		return nil, fmt.Errorf("load balances: %w", err)
	}
	maxOrder, maxTrade, err := st.MaxIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("load ids: %w", err)
	}
	s := &Service{
		store:  st,
		ledger: ledger.New(balances),
		opts:   opts,
		log:    opts.Logger,
		seqs:   map[string]*sequencer{},
		claims: map[claimKey]chan struct{}{},
	}
	s.orderID.Store(maxOrder)
	s.tradeID.Store(maxTrade)
	symbols, err := st.ListSymbols(ctx)
	if err != nil {
		return nil, fmt.Errorf("load symbols: %w", err)
	}
	reserved := map[reservationKey]int64{}
	for _, sym := range symbols {
		if err := s.AddSymbol(ctx, sym); err != nil {
			return nil, err
		}
		s.seqs[sym.Code].addReservations(reserved)
	}
	s.checkReservations(balances, reserved)
	return s, nil
}

// Ledger exposes the in-memory balances.
func (s *Service) Ledger() *ledger.Ledger { return s.ledger }

// MaxSupply bounds the total of any asset across all accounts. Trading moves amounts
// between accounts and never creates them, so with deposits held under this cap no
// balance, reservation or settlement can ever overflow an int64.
const MaxSupply int64 = 4_000_000_000 * 100_000_000 // 4 billion units

// ErrSupplyLimit is a deposit that would lift an asset's total over MaxSupply.
var ErrSupplyLimit = errors.New("deposit would exceed the venue's supply limit for this asset")

// PostEntries applies deposits and withdrawals to memory and the store together.
// Memory refuses first (insufficient funds, the supply limit) and nothing is stored.
// A store failure leaves the outcome unknown (the commit may have landed), so the
// service then resynchronises from the store before it takes another change.
func (s *Service) PostEntries(ctx context.Context, w ledger.EntryWriter, entries []store.LedgerEntry) error {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	if s.dirty.Load() {
		return ErrUnavailable
	}
	if err := s.checkSupply(entries); err != nil {
		return err
	}
	if err := s.ledger.Apply(entries); err != nil {
		return err
	}
	if err := w.ApplyEntries(ctx, entries); err != nil {
		s.ledger.Revert(entries)
		s.markDirty(err)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// checkSupply refuses entries that would lift an asset's total over MaxSupply.
// Deposits are serialised by postMu, and trades never change totals, so the check
// cannot race with another increase.
func (s *Service) checkSupply(entries []store.LedgerEntry) error {
	add := map[string]int64{}
	for _, e := range entries {
		if e.Amount > 0 {
			if e.Amount > MaxSupply {
				return ErrSupplyLimit
			}
			add[e.Asset] += e.Amount
		}
	}
	if len(add) == 0 {
		return nil
	}
	totals := s.ledger.Totals()
	for asset, n := range add {
		if n > MaxSupply || totals[asset].Total > MaxSupply-n {
			return ErrSupplyLimit
		}
	}
	return nil
}

// Consistent reports whether memory is known to match the store.
func (s *Service) Consistent() bool { return !s.dirty.Load() }

func (s *Service) markDirty(cause error) {
	if !s.dirty.Swap(true) {
		s.log.Error("memory may differ from the store; refusing changes until resynchronised",
			"error", cause)
	}
}

// Run resynchronises memory with the store whenever a commit's outcome was unknown,
// retrying until the store answers. It returns when ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.dirty.Load() {
			continue
		}
		if err := s.resync(ctx); err != nil {
			s.log.Warn("resynchronise with the store", "error", err)
			continue
		}
		s.log.Info("resynchronised with the store; taking changes again")
	}
}

// resync stops every sequencer between batches, reloads all balances and rebuilds
// every book from the committed state, then lets them go on.
func (s *Service) resync(ctx context.Context) error {
	s.mu.RLock()
	seqs := make([]*sequencer, 0, len(s.seqs))
	for _, q := range s.seqs {
		seqs = append(seqs, q)
	}
	s.mu.RUnlock()
	sort.Slice(seqs, func(i, j int) bool { return seqs[i].sym.Code < seqs[j].sym.Code })
	for _, q := range seqs {
		q.mu.Lock()
		defer q.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	balances, err := s.store.AllBalances(ctx)
	if err != nil {
		return fmt.Errorf("reload balances: %w", err)
	}
	for _, q := range seqs {
		if err := q.rebuild(ctx); err != nil {
			return err
		}
	}
	s.ledger.Reset(balances)
	s.dirty.Store(false)
	return nil
}

// AddSymbol starts the sequencer of a symbol, rebuilding its book from open orders.
func (s *Service) AddSymbol(ctx context.Context, sym store.Symbol) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.seqs[sym.Code]; ok {
		return nil
	}
	seq, err := newSequencer(ctx, s, sym)
	if err != nil {
		return fmt.Errorf("start %s: %w", sym.Code, err)
	}
	s.seqs[sym.Code] = seq
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		seq.run()
	}()
	return nil
}

// SetHalted stops or resumes order entry on a symbol; cancels still work when halted.
func (s *Service) SetHalted(code string, halted bool) error {
	seq, err := s.sequencer(code)
	if err != nil {
		return err
	}
	seq.halted.Store(halted)
	return nil
}

// Instrument returns the tick and lot of a symbol, for parsing prices at the edge.
func (s *Service) Instrument(code string) (store.Symbol, money.Instrument, error) {
	seq, err := s.sequencer(code)
	if err != nil {
		return store.Symbol{}, money.Instrument{}, err
	}
	return seq.sym, seq.inst, nil
}

func (s *Service) sequencer(code string) (*sequencer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seq, ok := s.seqs[code]
	if !ok {
		return nil, ErrUnknownSymbol
	}
	return seq, nil
}

// send queues a command on a symbol's sequencer and waits for its committed answer.
func (s *Service) send(ctx context.Context, seq *sequencer, c *command) (reply, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return reply{}, ErrClosed
	}
	select {
	case seq.in <- c:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return reply{}, ctx.Err()
	}
	select {
	case r := <-c.done:
		return r, r.err
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// Close stops intake, lets every sequencer commit what it holds, and waits.
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, seq := range s.seqs {
		close(seq.in)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

type reservationKey struct {
	user  int64
	asset string
}

// checkReservations compares what open orders hold with what balances say is
// reserved; a difference means the data was changed outside the venue.
func (s *Service) checkReservations(balances []store.Balance, held map[reservationKey]int64) {
	for _, b := range balances {
		k := reservationKey{b.UserID, b.Asset}
		if held[k] != b.Reserved {
			s.log.Error("reservation mismatch at start",
				"user_id", b.UserID, "asset", b.Asset,
				"balance_reserved", b.Reserved, "orders_reserved", held[k])
		}
		delete(held, k)
	}
	for k, v := range held {
		s.log.Error("reservation without balance at start",
			"user_id", k.user, "asset", k.asset, "orders_reserved", v)
	}
}

func (s *Service) nextOrderID() int64 { return s.orderID.Add(1) }
func (s *Service) nextTradeID() int64 { return s.tradeID.Add(1) }

// claim makes one request the owner of a client order id until release; a second
// request with the same id waits for the first, so a retry never places twice.
func (s *Service) claim(ctx context.Context, user int64, id string) (release func(), err error) {
	k := claimKey{user, id}
	for {
		s.claimsMu.Lock()
		ch, busy := s.claims[k]
		if !busy {
			ch = make(chan struct{})
			s.claims[k] = ch
			s.claimsMu.Unlock()
			return func() {
				s.claimsMu.Lock()
				delete(s.claims, k)
				s.claimsMu.Unlock()
				close(ch)
			}, nil
		}
		s.claimsMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
