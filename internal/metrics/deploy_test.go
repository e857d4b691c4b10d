package metrics_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/octopus-venue/octopus/internal/metrics"
	"github.com/octopus-venue/octopus/internal/store"
)

// siemMetrics are registered by the siem package on the same registry.
var siemMetrics = []string{
	"siem_events_forwarded_total", "siem_events_dropped_total",
	"siem_buffer_bytes", "siem_send_failures_total",
}

// wantAlerts are the alerts the operators' runbook names.
var wantAlerts = []string{
	"HighFailedLoginRate", "AccountLockoutsSpike", "PrivilegeEscalationAttempt",
	"AuditBacklog", "AuditWriteFailures", "AuditRecordsDropped", "HighErrorRate",
	"SIEMBufferOverflow", "SIEMEventsDropped",
}

// TestDashboardsParse checks that every dashboard is valid JSON Grafana can load:
// a schema version, unique panel ids, panels inside the 24-column grid, and a
// query on every panel that is not a row.
func TestDashboardsParse(t *testing.T) {
	files := deployFiles(t, "deploy/grafana/*.json")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			d := readDashboard(t, path)
			if d.SchemaVersion < 36 || d.UID == "" || d.Title == "" {
				t.Errorf("schemaVersion %d, uid %q, title %q", d.SchemaVersion, d.UID, d.Title)
			}
			if len(d.Panels) == 0 {
				t.Fatal("no panels")
			}
			ids := map[int]bool{}
			for _, p := range d.Panels {
				if ids[p.ID] {
					t.Errorf("panel %q: duplicate id %d", p.Title, p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
					t.Errorf("panel %q: gridPos %+v outside the grid", p.Title, p.GridPos)
				}
				if p.Type == "row" {
					continue
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				for _, tg := range p.Targets {
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("panel %q: empty expr", p.Title)
					}
				}
			}
		})
	}
}

// TestDeployedMetricNamesExist checks that every metric the dashboards, alert
// rules and alert tests name is one the app registers, so a renamed metric cannot
// leave an alert silently watching nothing.
func TestDeployedMetricNamesExist(t *testing.T) {
	known := registeredNames(t)
	for _, name := range siemMetrics {
		known[name] = true
	}

	sources := map[string][]string{}
	for _, path := range deployFiles(t, "deploy/grafana/*.json") {
		sources[filepath.Base(path)] = dashboardQueries(t, path)
	}
	sources["alerts.yml"] = yamlValues(t, readDeploy(t, "deploy/prometheus/alerts.yml"), "expr")
	sources["alerts_test.yml"] = yamlValues(t,
		readDeploy(t, "deploy/prometheus/alerts_test.yml"), "series")

	for src, exprs := range sources {
		if len(exprs) == 0 {
			t.Errorf("%s: no expressions found", src)
		}
		for _, expr := range exprs {
			names := metricNames(expr)
			if len(names) == 0 {
				t.Errorf("%s: no metric in %q", src, expr)
			}
			for _, name := range names {
				if !known[name] {
					t.Errorf("%s: %q is not a registered metric (in %q)", src, name, expr)
				}
			}
		}
	}
}

func TestAlertRulesPresent(t *testing.T) {
	rules := yamlValues(t, readDeploy(t, "deploy/prometheus/alerts.yml"), "alert")
	for _, name := range wantAlerts {
		if !slices.Contains(rules, name) {
			t.Errorf("alerts.yml lacks %s", name)
		}
	}
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{name: "bare metric", expr: "audit_queue_depth > 1000", want: []string{"audit_queue_depth"}},
		{
			name: "function, selector and range",
			expr: `increase(security_events_total{type="privilege_escalation"}[5m]) > 0`,
			want: []string{"security_events_total"},
		},
		{
			name: "aggregation with grouping",
			expr: `sum by (le, route) (rate(http_request_duration_seconds_bucket{` +
				`instance=~"$instance"}[$__rate_interval]))`,
			want: []string{"http_request_duration_seconds_bucket"},
		},
		{
			name: "set operator and offset",
			expr: "sum by (sink) (siem_events_dropped_total unless up offset 5m) or vector(0)",
			want: []string{"siem_events_dropped_total", "up"},
		},
		{name: "series notation", expr: `failed_login_total{job="x"}`,
			want: []string{"failed_login_total"}},
		{name: "label_values", expr: "label_values(orders_total, symbol)",
			want: []string{"orders_total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// registeredNames touches every metric of a fresh Metrics and returns the names a
// scrape shows, with the _bucket, _sum and _count series of histograms and
// summaries.
func registeredNames(t *testing.T) map[string]bool {
	t.Helper()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	touchAll(t, m)

	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+suffix] = true
			}
		}
	}
	return names
}

func touchAll(t *testing.T, m *metrics.Metrics) {
	t.Helper()
	m.ObserveRequest("GET /healthz", "GET", 200, time.Millisecond)
	m.FailedLogin()
	m.AccountLockout()
	m.RateLimited("login")
	m.SecurityEvent("privilege_escalation", "high")
	m.WatchSecurityEvent(store.SecurityEvent{Type: "failed_login_attempt", Severity: "low"})
	m.RateLimiterBackendError(errors.New("down"))
	m.Batch("BTC-USD", 1, 1, time.Microsecond, time.Millisecond, nil)
	m.Batch("BTC-USD", 1, 1, time.Microsecond, time.Millisecond, errors.New("down"))
	m.AuditWritten(1)
	m.AuditWriteFailed()
	m.AuditDropped(1)

	errs := []error{
		m.RegisterAuditQueue(func() float64 { return 1 }),
		m.RegisterDBStats("main", func() sql.DBStats { return sql.DBStats{} }),
		m.RegisterPgxStats(func() (int32, int32, int32, int64) { return 1, 1, 0, 1 }),
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("register: %v", err)
	}
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T, path string) dashboard {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return d
}

// dashboardQueries returns the panel expressions and the variable queries.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	d := readDashboard(t, path)
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		switch q := v.Query.(type) {
		case string:
			out = append(out, q)
		case map[string]any:
			if s, ok := q["query"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// yamlValues returns the values of key (or of "- key", a list item) in a YAML
// file, joining the lines of a folded or literal block scalar. The deploy files
// use no other multi-line form, and a parser would be a dependency for this test
// alone.
func yamlValues(t *testing.T, text, key string) []string {
	t.Helper()
	re := regexp.MustCompile(`^(\s*(?:- )?)` + regexp.QuoteMeta(key) + `:\s*(.*)$`)
	lines := strings.Split(text, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		m := re.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		value := strings.TrimSpace(m[2])
		if !strings.HasPrefix(value, ">") && !strings.HasPrefix(value, "|") {
			out = append(out, strings.Trim(value, `'"`))
			continue
		}
		indent := len(m[1]) // a list item's keys sit after its "- "
		var block []string
		for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" ||
			len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent) {
			i++
			block = append(block, strings.TrimSpace(lines[i]))
		}
		out = append(out, strings.TrimSpace(strings.Join(block, " ")))
	}
	return out
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(
		`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlTokens   = regexp.MustCompile(`\$?[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?|[0-9][0-9.eE+-]*[a-z]*`)
	labelValuesArg = regexp.MustCompile(`^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)`)
)

var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// metricNames returns the metric names a PromQL expression (or a Grafana
// label_values query) selects: identifiers that are not functions, keywords,
// labels, numbers or Grafana variables.
func metricNames(expr string) []string {
	if m := labelValuesArg.FindStringSubmatch(strings.TrimSpace(expr)); m != nil {
		return []string{m[1]}
	}
	expr = promqlStrings.ReplaceAllString(expr, `""`)
	expr = promqlMatchers.ReplaceAllString(expr, " ")
	expr = promqlRanges.ReplaceAllString(expr, " ")
	expr = promqlGrouping.ReplaceAllString(expr, " ")

	var names []string
	for _, tok := range promqlTokens.FindAllString(expr, -1) {
		switch {
		case strings.HasSuffix(tok, "("), strings.HasPrefix(tok, "$"),
			tok[0] >= '0' && tok[0] <= '9', promqlKeywords[strings.ToLower(tok)]:
			continue
		}
		if !slices.Contains(names, tok) {
			names = append(names, tok)
		}
	}
	return names
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package")
		}
		dir = parent
	}
}

func deployFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s: %v", pattern, err)
	}
	return files
}

func readDeploy(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
