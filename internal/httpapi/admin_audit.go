package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

type auditResponse struct {
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	RequestID     string    `json:"request_id"`
	UserID        *int64    `json:"user_id"`
	APIKeyHash    string    `json:"api_key_hash,omitempty"`
	Role          string    `json:"role,omitempty"`
	ClientIP      string    `json:"client_ip"`
	Method        string    `json:"method"`
	Route         string    `json:"route"`
	Path          string    `json:"path"`
	Status        int       `json:"status"`
	LatencyMicros int64     `json:"latency_us"`
	UserAgent     string    `json:"user_agent"`
	Summary       string    `json:"summary,omitempty"`
	Hash          string    `json:"hash"`
	PrevHash      string    `json:"prev_hash"`
}

func auditJSON(r store.AuditRecord) auditResponse {
	out := auditResponse{ID: r.ID, Time: r.Time, RequestID: r.RequestID, APIKeyHash: r.APIKeyID,
		Role: r.Role, ClientIP: r.ClientIP, Method: r.Method, Route: r.Route, Path: r.Path,
		Status: r.Status, LatencyMicros: r.LatencyMicros, UserAgent: r.UserAgent, Summary: r.Summary,
		Hash: hex.EncodeToString(r.Hash), PrevHash: hex.EncodeToString(r.PrevHash)}
	if r.UserID != 0 {
		id := r.UserID
		out.UserID = &id
	}
	return out
}

// maxExport bounds one export; larger ones page with the cursor.
const maxExport = 50_000

// bulkExportRecords is the export size that raises a data_access_anomaly event.
const bulkExportRecords = 1000

// listAudit searches the audit trail. format=csv or format=jsonl exports up to
// limit records (at most 50,000) as a download; an export is itself audited and
// large ones raise a data_access_anomaly event.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	if s.AuditLog == nil {
		s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "audit_unavailable",
			Message: "the audit trail is not available"})
		return
	}
	q, err := query(r, "user_id", "ip", "route", "status", "from", "to", "api_key_id", "format",
		"limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.auditFilter(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" && format != "jsonl" {
		s.writeError(w, r, errField("format", "must be json, csv or jsonl"))
		return
	}
	limitMax := 500
	if format == "csv" || format == "jsonl" {
		limitMax = maxExport
		if q.Get("limit") == "" {
			q.Set("limit", strconv.Itoa(maxExport))
		}
	}
	p, err := auditPage(q, limitMax)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	records, err := s.auditRecords(r.Context(), f, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch format {
	case "csv":
		s.exportCSV(w, records)
	case "jsonl":
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="audit.jsonl"`)
		enc := json.NewEncoder(w)
		for _, rec := range records {
			_ = enc.Encode(auditJSON(rec))
		}
	default:
		out := make([]auditResponse, len(records))
		for i, rec := range records {
			out[i] = auditJSON(rec)
		}
		writeJSON(w, http.StatusOK, newList(out, p.Limit, func(a auditResponse) int64 { return a.ID }))
	}
	if format != "" && format != "json" {
		setSummary(r, "audit export of %d records as %s", len(records), format)
		if len(records) >= bulkExportRecords {
			p := principal(r)
			s.Events.Record(r.Context(), "data_access_anomaly", p.UserID, state(r.Context()).clientIP,
				"bulk export of "+strconv.Itoa(len(records))+" audit records")
		}
	}
}

// storePage is the most records a store returns from one ListAudit call.
const storePage = 500

// auditRecords reads up to p.Limit records newest first, a store page at a time:
// the stores cap one call at storePage, which would cut an export short.
func (s *Server) auditRecords(ctx context.Context, f store.AuditFilter, p store.Page) (
	[]store.AuditRecord, error) {
	var out []store.AuditRecord
	for len(out) < p.Limit {
		page := store.Page{Before: p.Before, Limit: min(storePage, p.Limit-len(out))}
		records, err := s.AuditLog.ListAudit(ctx, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, records...)
		if len(records) < page.Limit {
			break
		}
		p.Before = records[len(records)-1].ID
	}
	return out, nil
}

func (s *Server) exportCSV(w http.ResponseWriter, records []store.AuditRecord) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "time", "request_id", "user_id", "api_key_hash", "role", "client_ip",
		"method", "route", "path", "status", "latency_us", "user_agent", "summary", "hash", "prev_hash"})
	for _, rec := range records {
		a := auditJSON(rec)
		uid := ""
		if a.UserID != nil {
			uid = strconv.FormatInt(*a.UserID, 10)
		}
		_ = cw.Write([]string{strconv.FormatInt(a.ID, 10), a.Time.Format(time.RFC3339Nano),
			a.RequestID, uid, a.APIKeyHash, a.Role, csvSafe(a.ClientIP), a.Method, csvSafe(a.Route),
			csvSafe(a.Path), strconv.Itoa(a.Status), strconv.FormatInt(a.LatencyMicros, 10),
			csvSafe(a.UserAgent), csvSafe(a.Summary), a.Hash, a.PrevHash})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formula injection: a cell starting with = + - @ is
// prefixed with a quote so that opening the export never runs it.
func csvSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
		return "'" + v
	}
	return v
}

func (s *Server) auditFilter(q map[string][]string) (store.AuditFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := store.AuditFilter{IP: sanitize(get("ip"), 64), Route: sanitize(get("route"), 200)}
	var err error
	if v := get("user_id"); v != "" {
		if f.UserID, err = strconv.ParseInt(v, 10, 64); err != nil || f.UserID < 1 {
			return f, errField("user_id", "must be a user id")
		}
	}
	if v := get("status"); v != "" {
		if f.Status, err = strconv.Atoi(v); err != nil || f.Status < 100 || f.Status > 599 {
			return f, errField("status", "must be an HTTP status code")
		}
	}
	if v := get("api_key_id"); v != "" {
		f.APIKeyID = s.AuditLog.Hash(sanitize(v, 64))
	}
	if f.From, err = timeParam(q, "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q, "to"); err != nil {
		return f, err
	}
	return f, nil
}

func auditPage(q map[string][]string, limitMax int) (store.Page, error) {
	p := store.Page{Limit: min(100, limitMax)}
	if v := q["limit"]; len(v) > 0 && v[0] != "" {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > limitMax {
			return p, errField("limit", "must be a whole number from 1 to "+strconv.Itoa(limitMax))
		}
		p.Limit = n
	}
	if v := q["cursor"]; len(v) > 0 && v[0] != "" {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 1 {
			return p, errField("cursor", "is not a valid cursor")
		}
		p.Before = n
	}
	return p, nil
}

type hashRequest struct {
	Value string `json:"value"`
}

type hashResponse struct {
	Hash string `json:"hash"`
}

// auditHash returns the keyed hash of a value, so an admin who knows an API key id
// (or another hashed field) can search for it without the trail storing it readable.
func (s *Server) auditHash(w http.ResponseWriter, r *http.Request) {
	if s.AuditLog == nil {
		s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "audit_unavailable",
			Message: "the audit trail is not available"})
		return
	}
	var req hashRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Value == "" || len(req.Value) > 256 {
		s.writeError(w, r, errField("value", "must be 1 to 256 characters"))
		return
	}
	writeJSON(w, http.StatusOK, hashResponse{Hash: s.AuditLog.Hash(req.Value)})
}
