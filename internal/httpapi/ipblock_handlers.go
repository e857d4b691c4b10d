package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"time"
)

type ipBlockResponse struct {
	IP        string    `json:"ip"`
	Reason    string    `json:"reason"`
	Until     time.Time `json:"until"`
	Offenses  int       `json:"offenses"`
	CreatedAt time.Time `json:"created_at"`
}

// listIPBlocks lists the blocks in force, soonest to lift first.
func (s *Server) listIPBlocks(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []ipBlockResponse{}
	if s.Blocker != nil {
		blocks, err := s.Blocker.List(r.Context())
		if err != nil {
			s.blockListDown(w, r, err)
			return
		}
		for _, b := range blocks {
			out = append(out, ipBlockResponse{IP: b.IP.String(), Reason: b.Reason,
				Until: b.Until.UTC(), Offenses: b.Offenses, CreatedAt: b.CreatedAt.UTC()})
		}
	}
	writeJSON(w, http.StatusOK, listResponse[ipBlockResponse]{Items: out})
}

// deleteIPBlock lifts the block of one address, which also forgets its offenses.
func (s *Server) deleteIPBlock(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(r.PathValue("ip"))
	if err != nil {
		s.writeError(w, r, errField("ip", "must be an IPv4 or IPv6 address"))
		return
	}
	ip = ip.WithZone("").Unmap()
	if s.Blocker == nil {
		s.writeError(w, r, errNotFound)
		return
	}
	lifted, err := s.Blocker.Unblock(r.Context(), ip)
	if err != nil {
		s.blockListDown(w, r, err)
		return
	}
	if !lifted {
		s.writeError(w, r, errNotFound)
		return
	}
	setSummary(r, "ip block of %s lifted", ip)
	w.WriteHeader(http.StatusNoContent)
}

// blockListDown answers 503 when the block list's backend fails: the outage is
// counted and logged like the limiter's, and the client may retry.
func (s *Server) blockListDown(w http.ResponseWriter, r *http.Request, err error) {
	s.limiterError(fmt.Errorf("ip block list: %w", err))
	s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "the block list cannot be reached; retry shortly", RetryAfter: 5 * time.Second})
}
