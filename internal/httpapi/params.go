package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// listResponse is the shape of every list: items and the cursor of the next page.
type listResponse[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// newList builds a page; a full page gets a cursor at its last id.
func newList[T any](items []T, limit int, lastID func(T) int64) listResponse[T] {
	out := listResponse[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if len(items) == limit && limit > 0 {
		c := strconv.FormatInt(lastID(items[len(items)-1]), 10)
		out.NextCursor = &c
	}
	return out
}

// query checks that only known parameters are present, each at most once.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errBadRequest("invalid_query", "malformed query string")
	}
	for k, v := range q {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			return nil, errField(sanitize(k, 32), "is not a known query parameter")
		}
		if len(v) > 1 {
			return nil, errField(sanitize(k, 32), "may be given once")
		}
	}
	return q, nil
}

// page reads limit and cursor into a newest-first page (cursor = the last id seen).
func page(q url.Values, newestFirst bool) (store.Page, error) {
	p := store.Page{Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return p, errField("limit", "must be a whole number from 1 to 500")
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return p, errField("cursor", "is not a valid cursor")
		}
		if newestFirst {
			p.Before = n
		} else {
			p.After = n
		}
	}
	return p, nil
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	// Digits only: ParseInt alone would also take "+4" or "-0" as ids.
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errNotFound
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errNotFound
	}
	return n, nil
}

// timeParam reads an RFC 3339 time, or zero when absent.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errField(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	return t, nil
}
