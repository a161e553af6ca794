package fault

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// Group names an endpoint's outage modes: the <group>.slow, .hang, .reset
// and .status an endpoint has.
type Group int

// The groups with outage modes.
const (
	NoOutage Group = iota
	DiscoveryOutage
	KeysOutage
	TokenOutage   // the code exchange
	RefreshOutage // the refresh grant
	UserinfoOutage
	LogoutOutage
)

// outage is a group's modes; "" where the group has none of that kind.
// flap is the key set's: every other request fails, before a status.
type outage struct {
	slow, hang, reset, status Mode
	flap                      bool
}

func (g Group) modes() outage {
	switch g {
	case DiscoveryOutage:
		return outage{DiscoverySlow, DiscoveryHang, DiscoveryReset, DiscoveryStatus, false}
	case KeysOutage:
		return outage{JWKSSlow, JWKSHang, "", JWKSStatus, true}
	case TokenOutage:
		return outage{TokenSlow, TokenHang, TokenReset, TokenStatus, false}
	case RefreshOutage:
		return outage{RefreshSlow, RefreshHang, RefreshReset, RefreshStatus, false}
	case UserinfoOutage:
		return outage{UserinfoSlow, "", "", UserinfoStatus, false}
	case LogoutOutage:
		return outage{"", "", "", LogoutStatus, false}
	}
	return outage{}
}

// StatusWriter answers a request with an outage's HTTP status, as the
// endpoint answers errors (JSON for APIs, a page for the browser).
type StatusWriter func(w http.ResponseWriter, status int, m Mode)

// JSONStatus is the StatusWriter of the JSON endpoints.
func JSONStatus(w http.ResponseWriter, status int, m Mode) {
	wire.WriteJSON(w, status, &wire.Error{Code: "server_error", Description: string(m)})
}

// Outage applies a group's outage modes to a request, in the order an
// outage shows: slow, then hang, reset or a status. It reports whether the
// request is answered (or abandoned): the handler must then do nothing.
// A slow answer whose client gave up counts as answered, so that the code
// or refresh token it carried stays as the client left it (a timed-out
// refresh must not rotate the token the app will retry with).
func (e *Env) Outage(w http.ResponseWriter, r *http.Request, g Group, client string, fail StatusWriter) bool {
	if !e.faults.Any() || g == NoOutage {
		return false
	}
	m := g.modes()
	if p, ok := e.take(m.slow, client); ok {
		sleep(r.Context(), Duration(p))
		if r.Context().Err() != nil {
			return true
		}
	}
	if e.on(m.hang, client) {
		e.hang(r.Context())
		return true
	}
	if e.on(m.reset, client) {
		resetConn(w, r)
		return true
	}
	if m.flap && e.flapped(w, client) {
		return true
	}
	if p, ok := e.take(m.status, client); ok {
		if fail == nil {
			fail = JSONStatus
		}
		fail(w, Status(p), m.status)
		return true
	}
	return false
}

// flapped answers every other request with 503 under jwks.flap, the
// first one included.
func (e *Env) flapped(w http.ResponseWriter, client string) bool {
	if !e.faults.On(JWKSFlap, client) {
		e.flaps.Store(0) // so that the next flapping starts with a failure
		return false
	}
	if e.flaps.Add(1)%2 == 1 {
		JSONStatus(w, http.StatusServiceUnavailable, JWKSFlap)
		return true
	}
	return false
}

// take and on skip the modes a group lacks.
func (e *Env) take(m Mode, client string) (string, bool) {
	if m == "" {
		return "", false
	}
	return e.faults.Take(m, client)
}

func (e *Env) on(m Mode, client string) bool {
	_, ok := e.take(m, client)
	return ok
}

// MaxHang bounds every *.hang mode: a hung request ends when the client
// goes away, when the environment closes, or after this long.
const MaxHang = 10 * time.Minute

// hang blocks until the client goes away or the environment closes, at
// most MaxHang.
func (e *Env) hang(ctx context.Context) {
	t := time.NewTimer(MaxHang)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-e.stop:
	case <-t.C:
	}
}

// sleep waits d or until the request ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Intercept applies the net.* modes to a request the environment serves.
// It returns the writer the handler must use and a finish function to call
// once the handler has returned; done reports that the request is already
// dealt with.
func (e *Env) Intercept(w http.ResponseWriter, r *http.Request, client string) (_ http.ResponseWriter, finish func(), done bool) {
	if !e.faults.Any() { // the faithful default costs nothing here
		return w, func() {}, false
	}
	if p, ok := e.faults.Take(NetLatency, client); ok {
		sleep(r.Context(), Duration(p))
	}
	if e.faults.On(NetHang, client) {
		e.hang(r.Context())
		return w, nil, true
	}
	if e.faults.On(NetReset, client) {
		resetConn(w, r)
		return w, nil, true
	}
	if p, ok := e.faults.Take(Net429, client); ok {
		if n, err := strconv.Atoi(p); err != nil || n < 0 {
			p = "1"
		}
		w.Header().Set("Retry-After", p)
		wire.WriteJSON(w, http.StatusTooManyRequests, &wire.Error{Code: "temporarily_unavailable", Description: "net.429: too many requests, retry after " + p + " s"})
		return w, nil, true
	}
	finish = func() {}
	if e.faults.On(NetWrongContentType, client) {
		w = &plainTextWriter{ResponseWriter: w}
	}
	if e.faults.On(NetTruncate, client) {
		tw := &truncatingWriter{ResponseWriter: w}
		w, finish = tw, tw.finish
	}
	return w, finish, false
}

// resetConn drops the request's connection without an answer: the *.reset
// modes. On TCP the close sends an RST (SO_LINGER 0), so the client sees
// "connection reset by peer" rather than a clean EOF. When the connection
// cannot be hijacked (HTTP/2), the handler is aborted, which resets the
// stream.
//
// The request is read first, as a server that received the call and then
// died would have: a client still writing its body when the RST arrives
// would report its own write failing ("use of closed network connection")
// instead of the reset.
func resetConn(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, maxDrainedBody))
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := netConnOf(conn).(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// maxDrainedBody bounds what resetConn reads of a request before it
// drops the connection; the mock's requests are a few kilobytes.
const maxDrainedBody = 1 << 20

// netConnOf is the connection under TLS, if any.
func netConnOf(c net.Conn) net.Conn {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		return nc.NetConn()
	}
	return c
}
