package httpapi

import (
	"context"
	"net/http"
	"time"
)

type healthResponse struct {
	Status string `json:"status"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok"})
}

// readyz answers 200 only while the database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness check failed", "error", err)
		s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "not_ready",
			Message: "database unreachable", RetryAfter: 5 * time.Second})
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ready"})
}
