package metrics_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/octopus-venue/octopus/internal/metrics"
)

func TestRegisterDBStats(t *testing.T) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	stats := sql.DBStats{MaxOpenConnections: 10, OpenConnections: 4, InUse: 3, Idle: 1,
		WaitCount: 7, WaitDuration: 1500 * time.Millisecond, MaxIdleClosed: 2,
		MaxLifetimeClosed: 5}
	for _, name := range []string{"main", "audit"} {
		if err := m.RegisterDBStats(name, func() sql.DBStats { return stats }); err != nil {
			t.Fatalf("RegisterDBStats(%s): %v", name, err)
		}
	}

	want := `
# HELP db_in_use_connections Connections in use.
# TYPE db_in_use_connections gauge
db_in_use_connections{db="audit"} 3
db_in_use_connections{db="main"} 3
# HELP db_wait_duration_seconds_total Time callers spent waiting for a free connection.
# TYPE db_wait_duration_seconds_total counter
db_wait_duration_seconds_total{db="audit"} 1.5
db_wait_duration_seconds_total{db="main"} 1.5
# HELP db_wait_count_total Times a caller waited for a free connection.
# TYPE db_wait_count_total counter
db_wait_count_total{db="audit"} 7
db_wait_count_total{db="main"} 7
`
	err = testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want),
		"db_in_use_connections", "db_wait_duration_seconds_total", "db_wait_count_total")
	if err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Gatherer(), "db_open_connections",
		"db_idle_connections", "db_max_open_connections", "db_max_idle_closed_total",
		"db_max_lifetime_closed_total"); err != nil || n != 10 {
		t.Errorf("other pool series: %d, %v; want 10", n, err)
	}

	err = m.RegisterDBStats("main", func() sql.DBStats { return stats })
	if !errors.Is(err, metrics.ErrRegister) {
		t.Errorf("duplicate name: err %v, want ErrRegister", err)
	}
}

func TestRegisterPgxStats(t *testing.T) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	acquires := int64(0)
	err = m.RegisterPgxStats(func() (int32, int32, int32, int64) {
		acquires += 10
		return 8, 3, 5, acquires
	})
	if err != nil {
		t.Fatalf("RegisterPgxStats: %v", err)
	}

	want := `
# HELP pgx_pool_acquire_total Connections acquired from the pgx pool.
# TYPE pgx_pool_acquire_total counter
pgx_pool_acquire_total 10
# HELP pgx_pool_acquired_connections Connections of the pgx pool in use.
# TYPE pgx_pool_acquired_connections gauge
pgx_pool_acquired_connections 5
# HELP pgx_pool_idle_connections Idle connections of the pgx pool.
# TYPE pgx_pool_idle_connections gauge
pgx_pool_idle_connections 3
# HELP pgx_pool_total_connections Connections of the pgx pool, idle, acquired or being built.
# TYPE pgx_pool_total_connections gauge
pgx_pool_total_connections 8
`
	names := []string{"pgx_pool_acquire_total", "pgx_pool_acquired_connections",
		"pgx_pool_idle_connections", "pgx_pool_total_connections"}
	err = testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...)
	if err != nil {
		t.Error(err)
	}
	// Each scrape reads the pool afresh.
	if got := gatherValue(t, m, "pgx_pool_acquire_total"); got != 20 {
		t.Errorf("second scrape: acquires %v, want 20", got)
	}
}

func gatherValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			mt := f.GetMetric()[0]
			return mt.GetCounter().GetValue() + mt.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s not gathered", name)
	return 0
}
