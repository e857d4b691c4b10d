package siem

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syslogReceiver is a real syslog server on loopback: UDP datagrams, or
// RFC 6587 octet-counted frames over TCP or TLS. It can be stopped and
// started again on the same port to stage an outage.
type syslogReceiver struct {
	t       *testing.T
	network string
	addr    string
	tlsCfg  *tls.Config

	mu      sync.Mutex
	records []string
	bad     []string
	ln      net.Listener
	pc      net.PacketConn
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

func startSyslogReceiver(t *testing.T, network string, tlsCfg *tls.Config) *syslogReceiver {
	t.Helper()
	r := &syslogReceiver{t: t, network: network, addr: "127.0.0.1:0", tlsCfg: tlsCfg}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *syslogReceiver) start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()

	r.conns = make(map[net.Conn]bool)
	var err error
	// Right after stop the port may still be held briefly; retry a little.
	for i := 0; i < 50; i++ {
		if r.network == NetworkUDP {
			r.pc, err = net.ListenPacket("udp", r.addr)
			if err == nil {
				r.addr = r.pc.LocalAddr().String()
			}
		} else {
			r.ln, err = net.Listen("tcp", r.addr)
			if err == nil {
				r.addr = r.ln.Addr().String()
				if r.network == NetworkTLS {
					r.ln = tls.NewListener(r.ln, r.tlsCfg)
				}
			}
		}
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatalf("listen %s %s: %v", r.network, r.addr, err)
	}

	r.wg.Add(1)
	if r.network == NetworkUDP {
		go r.readDatagrams(r.pc)
	} else {
		go r.accept(r.ln)
	}
}

func (r *syslogReceiver) readDatagrams(pc net.PacketConn) {
	defer r.wg.Done()
	buf := make([]byte, 70000)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		r.add(string(buf[:n]))
	}
}

func (r *syslogReceiver) accept(ln net.Listener) {
	defer r.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.conns[c] = true
		r.mu.Unlock()
		r.wg.Add(1)
		go r.readFrames(c)
	}
}

// readFrames parses RFC 6587 §3.4.1 octet counting: MSG-LEN SP MSG.
func (r *syslogReceiver) readFrames(c net.Conn) {
	defer r.wg.Done()
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		lenText, err := br.ReadString(' ')
		if err != nil {
			if lenText != "" && !errors.Is(err, net.ErrClosed) {
				r.addBad("unterminated length " + strconv.Quote(lenText))
			}
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
		if err != nil || n <= 0 {
			r.addBad("bad length " + strconv.Quote(lenText))
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(br, msg); err != nil {
			return
		}
		r.add(string(msg))
	}
}

func (r *syslogReceiver) add(rec string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
}

func (r *syslogReceiver) addBad(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bad = append(r.bad, s)
}

// stop closes the listener and every connection, like a crashed server.
func (r *syslogReceiver) stop() {
	r.mu.Lock()
	if r.ln != nil {
		_ = r.ln.Close()
		r.ln = nil
	}
	if r.pc != nil {
		_ = r.pc.Close()
		r.pc = nil
	}
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *syslogReceiver) snapshot() (records, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.records...), append([]string(nil), r.bad...)
}

// hecServer answers like a Splunk HTTP Event Collector.
type hecServer struct {
	*httptest.Server
	token  string
	status atomic.Int64 // reply status; 200 when zero

	mu      sync.Mutex
	events  []hecEvent
	headers []http.Header
	bad     []string
}

func startHEC(t *testing.T, token string) *hecServer {
	t.Helper()
	h := &hecServer{token: token}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(func() { h.Server.Close() })
	return h
}

func (h *hecServer) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != hecPath {
		h.fail("bad request line " + req.Method + " " + req.URL.Path)
		http.NotFound(w, req)
		return
	}
	if req.Header.Get("Authorization") != "Splunk "+h.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"text":"Invalid token","code":4}`)
		return
	}
	if code := int(h.status.Load()); code != 0 && code != http.StatusOK {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"text":"Server is busy","code":9}`)
		return
	}

	var got []hecEvent
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	for {
		var ev hecEvent
		err := dec.Decode(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			h.fail("decode: " + err.Error())
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"text":"Invalid data format","code":6}`)
			return
		}
		got = append(got, ev)
	}

	h.mu.Lock()
	h.events = append(h.events, got...)
	h.headers = append(h.headers, req.Header.Clone())
	h.mu.Unlock()
	_, _ = io.WriteString(w, `{"text":"Success","code":0}`)
}

func (h *hecServer) fail(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bad = append(h.bad, s)
}

func (h *hecServer) received() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Event, len(h.events))
	for i, e := range h.events {
		out[i] = e.Event
	}
	return out
}

// bulkServer answers like the Elasticsearch bulk API. itemStatus, when
// set, decides the status of each item (0 means 201), so tests can make
// single items fail.
type bulkServer struct {
	*httptest.Server
	user, pass string
	status     atomic.Int64 // whole-request status; 200 when zero

	mu         sync.Mutex
	itemStatus func(doc map[string]any) int
	docs       []map[string]any
	actions    []string
	bad        []string
}

func startBulk(t *testing.T, user, pass string) *bulkServer {
	t.Helper()
	b := &bulkServer{user: user, pass: pass}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(func() { b.Server.Close() })
	return b
}

func (b *bulkServer) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/_bulk" {
		b.fail("bad request line " + req.Method + " " + req.URL.Path)
		http.NotFound(w, req)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		b.fail("content type " + ct)
	}
	if u, p, ok := req.BasicAuth(); b.user != "" && (!ok || u != b.user || p != b.pass) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"type":"security_exception"},"status":401}`)
		return
	}
	if code := int(b.status.Load()); code != 0 && code != http.StatusOK {
		w.WriteHeader(code)
		return
	}

	items, docs, err := b.index(req.Body)
	if err != nil {
		b.fail(err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.docs = append(b.docs, docs...)
	b.mu.Unlock()

	hasErrors := false
	for _, it := range items {
		if it["index"].(map[string]any)["status"].(int) >= 300 {
			hasErrors = true
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": hasErrors, "items": items})
}

// index reads action/document pairs and decides each item's status;
// accepted documents are returned.
func (b *bulkServer) index(body io.Reader) ([]map[string]any, []map[string]any, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var items, docs []map[string]any
	for sc.Scan() {
		action := sc.Text()
		if !sc.Scan() {
			return nil, nil, errors.New("action without document")
		}
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			return nil, nil, err
		}
		b.mu.Lock()
		b.actions = append(b.actions, action)
		decide := b.itemStatus
		b.mu.Unlock()

		status := http.StatusCreated
		if decide != nil {
			if s := decide(doc); s != 0 {
				status = s
			}
		}
		item := map[string]any{"_index": "x", "status": status}
		if status >= 300 {
			item["error"] = map[string]any{"type": "es_rejected_execution_exception", "reason": "queue full"}
		} else {
			docs = append(docs, doc)
		}
		items = append(items, map[string]any{"index": item})
	}
	return items, docs, sc.Err()
}

func (b *bulkServer) fail(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, s)
}

func (b *bulkServer) setItemStatus(f func(doc map[string]any) int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.itemStatus = f
}

func (b *bulkServer) received() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.docs...)
}

// selfSignedTLS returns a server config with a fresh certificate for
// 127.0.0.1 and a pool that trusts it.
func selfSignedTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "siem test receiver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	return srv, pool
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
