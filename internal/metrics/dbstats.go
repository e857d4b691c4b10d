package metrics

import (
	"database/sql"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterDBStats exports the pool statistics of a database/sql handle, read from
// stats at every scrape, with the label db=name. Several pools may be registered
// under different names.
func (m *Metrics) RegisterDBStats(name string, stats func() sql.DBStats) error {
	if err := m.reg.Register(newDBStatsCollector(name, stats)); err != nil {
		return fmt.Errorf("%w: db stats %q: %w", ErrRegister, name, err)
	}
	return nil
}

// PgxStats reports a pgx pool's numbers: connections in total, idle and acquired,
// and the cumulative count of acquires. Plain numbers keep pgx out of this package.
type PgxStats func() (total, idle, acquired int32, acquireCount int64)

// RegisterPgxStats exports the statistics of a pgx pool, read at every scrape (wire
// it as func() {s := pool.Stat(); return s.TotalConns(), ...}). It may be
// registered once.
func (m *Metrics) RegisterPgxStats(stats PgxStats) error {
	if err := m.reg.Register(&pgxCollector{stats: stats}); err != nil {
		return fmt.Errorf("%w: pgx stats: %w", ErrRegister, err)
	}
	return nil
}

type dbStatsCollector struct {
	stats func() sql.DBStats

	maxOpen, open, inUse, idle       *prometheus.Desc
	waitCount, waitDuration          *prometheus.Desc
	maxIdleClosed, maxLifetimeClosed *prometheus.Desc
}

func newDBStatsCollector(name string, stats func() sql.DBStats) *dbStatsCollector {
	desc := func(metric, help string) *prometheus.Desc {
		return prometheus.NewDesc(metric, help, nil, prometheus.Labels{"db": name})
	}
	return &dbStatsCollector{
		stats:   stats,
		maxOpen: desc("db_max_open_connections", "Configured maximum of open connections."),
		open:    desc("db_open_connections", "Open connections, in use or idle."),
		inUse:   desc("db_in_use_connections", "Connections in use."),
		idle:    desc("db_idle_connections", "Idle connections."),
		waitCount: desc("db_wait_count_total",
			"Times a caller waited for a free connection."),
		waitDuration: desc("db_wait_duration_seconds_total",
			"Time callers spent waiting for a free connection."),
		maxIdleClosed: desc("db_max_idle_closed_total",
			"Connections closed because of the idle limit."),
		maxLifetimeClosed: desc("db_max_lifetime_closed_total",
			"Connections closed because of their maximum lifetime."),
	}
}

// Describe sends the descriptors of the pool metrics.
func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle,
		c.waitCount, c.waitDuration, c.maxIdleClosed, c.maxLifetimeClosed} {
		ch <- d
	}
}

// Collect reads the pool statistics once and sends them.
func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.maxOpen, float64(s.MaxOpenConnections))
	gauge(c.open, float64(s.OpenConnections))
	gauge(c.inUse, float64(s.InUse))
	gauge(c.idle, float64(s.Idle))
	counter(c.waitCount, float64(s.WaitCount))
	counter(c.waitDuration, s.WaitDuration.Seconds())
	counter(c.maxIdleClosed, float64(s.MaxIdleClosed))
	counter(c.maxLifetimeClosed, float64(s.MaxLifetimeClosed))
}

var (
	pgxTotalDesc = prometheus.NewDesc("pgx_pool_total_connections",
		"Connections of the pgx pool, idle, acquired or being built.", nil, nil)
	pgxIdleDesc = prometheus.NewDesc("pgx_pool_idle_connections",
		"Idle connections of the pgx pool.", nil, nil)
	pgxAcquiredDesc = prometheus.NewDesc("pgx_pool_acquired_connections",
		"Connections of the pgx pool in use.", nil, nil)
	pgxAcquireDesc = prometheus.NewDesc("pgx_pool_acquire_total",
		"Connections acquired from the pgx pool.", nil, nil)
)

type pgxCollector struct{ stats PgxStats }

// Describe sends the descriptors of the pgx pool metrics.
func (c *pgxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pgxTotalDesc
	ch <- pgxIdleDesc
	ch <- pgxAcquiredDesc
	ch <- pgxAcquireDesc
}

// Collect reads the pool statistics once and sends them.
func (c *pgxCollector) Collect(ch chan<- prometheus.Metric) {
	total, idle, acquired, acquires := c.stats()
	ch <- prometheus.MustNewConstMetric(pgxTotalDesc, prometheus.GaugeValue, float64(total))
	ch <- prometheus.MustNewConstMetric(pgxIdleDesc, prometheus.GaugeValue, float64(idle))
	ch <- prometheus.MustNewConstMetric(pgxAcquiredDesc, prometheus.GaugeValue, float64(acquired))
	ch <- prometheus.MustNewConstMetric(pgxAcquireDesc, prometheus.CounterValue, float64(acquires))
}
