package mockidp

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// mailPageMax is the most messages the mailbox page lists; the JSON has
// every one the mailbox keeps.
const mailPageMax = 100

// handleMail serves GET /__mock/mail: the emails the environment would
// have sent, newest first. ?to=<email> keeps one address's, and ?last=N
// the newest N; ?last=1 answers that one message alone, as an object, so
// that a test reads a one-time code in one request.
//
// It answers a page or JSON, decided in this order:
//  1. ?format=html is the page, ?format=json is JSON;
//  2. otherwise ?last= is JSON (it is for scripts);
//  3. otherwise the page when the Accept header prefers text/html over
//     JSON (a browser's does), and JSON for everything else: curl,
//     fetch, Go's client, or no Accept at all.
func (s *Server) handleMail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	last, err := strconv.Atoi(q.Get("last"))
	if q.Has("last") && (err != nil || last < 1) {
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("last is a count of messages, such as 1."))
		return
	}
	var page bool
	switch f := q.Get("format"); f {
	case "html":
		page = true
	case "json":
	case "":
		page = !q.Has("last") && prefersHTML(r.Header.Get("Accept"))
	default:
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("format is html or json."))
		return
	}
	w.Header().Set("Vary", "Accept")
	to := strings.TrimSpace(q.Get("to"))
	msgs := s.mail.List(to, last)
	switch {
	case page:
		s.mailPage(w, to, msgs)
	case last != 1:
		wire.WriteJSON(w, http.StatusOK, msgs)
	case len(msgs) == 0:
		wire.WriteJSON(w, http.StatusNotFound, wire.InvalidRequest("No email to "+to+" yet: send one first (sign in with the email on the sign-in page, sendPasswordlessEmail, or an invitation)."))
	default:
		wire.WriteJSON(w, http.StatusOK, msgs[0])
	}
}

// mailData fills mail.html.
type mailData struct {
	Issuer, Title string
	To, Scenario  string // the filter, and the scenario environment it is for
	Messages      []mailItem
	// Count is the messages the filter keeps; Hidden those past
	// mailPageMax.
	Count, Hidden int
	// JSONURL is this list as JSON; AllURL drops the filter; SelfURL is
	// this page again.
	JSONURL, AllURL, SelfURL string
}

type mailItem struct {
	To, Subject, Code, Link string
	Kind                    mailbox.Kind
	// ToURL filters the page by the message's address.
	ToURL string
	// When is the time sent, Ago how long ago on the environment's clock;
	// Expiry says when the code and link stop working, or why and when
	// they stopped: used, spent, replaced or expired.
	When, Ago, Expiry string
	// State is "" while the code and link may still work, else the
	// mailbox.Status or "expired": the message's class on the page.
	State string
}

// mailPage renders the mailbox for a developer: each message's code large
// and selectable in one click, its link clickable.
func (s *Server) mailPage(w http.ResponseWriter, to string, msgs []mailbox.Message) {
	now := s.now()
	scenario := s.scenarioEnvName()
	data := mailData{Issuer: s.issuer, Title: "Mailbox", To: to, Scenario: scenario, Count: len(msgs)}
	if len(msgs) > mailPageMax {
		data.Hidden = len(msgs) - mailPageMax
		msgs = msgs[:mailPageMax]
	}
	jq := url.Values{"format": {"json"}}
	if to != "" {
		jq.Set("to", to)
	}
	if scenario != "" {
		jq.Set("scenario", scenario)
	}
	data.JSONURL = "/__mock/mail?" + jq.Encode()
	data.AllURL, data.SelfURL = s.mailboxURL(""), s.mailboxURL(to)
	for _, m := range msgs {
		it := mailItem{To: m.To, Subject: m.Subject, Code: m.Code, Link: m.Link, Kind: m.Kind,
			ToURL: s.mailboxURL(m.To), When: m.Created.UTC().Format("15:04:05 UTC, 2 Jan"), Ago: ago(now.Sub(m.Created))}
		it.Expiry, it.State = expiry(m, now)
		data.Messages = append(data.Messages, it)
	}
	renderPage(w, http.StatusOK, mailPage, data)
}

// expiry says whether a message's code and link still work, and when
// they stop, or why and since when they do not: a code verified is not
// "expires in 4 min", which would send a developer to use it again.
func expiry(m mailbox.Message, now time.Time) (text, state string) {
	switch m.Status {
	case mailbox.Used:
		return "used " + ago(now.Sub(m.Settled)) + ": it works once", string(m.Status)
	case mailbox.Spent:
		return "no longer works: too many wrong codes", string(m.Status)
	case mailbox.Replaced:
		return "no longer works: a newer email replaced it", string(m.Status)
	}
	if m.Expires.IsZero() {
		return "", ""
	}
	if left := m.Expires.Sub(now); left > 0 {
		return "expires in " + roughly(left), ""
	}
	return "expired " + ago(now.Sub(m.Expires)), "expired"
}

// ago writes a past duration for a page: "just now", "3 min ago".
func ago(d time.Duration) string {
	if d < 5*time.Second {
		return "just now"
	}
	return roughly(d) + " ago"
}

// roughly writes a duration to the nearest of the unit that matters:
// "42 s", "5 min", "2 h", "4 days".
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute-time.Second/2:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour-30*time.Second:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// mailboxURL is the environment's mailbox page for one address (every
// address for ""): the control endpoint at the root, naming a scenario
// environment's name.
func (s *Server) mailboxURL(to string) string {
	q := url.Values{}
	if to != "" {
		q.Set("to", to)
	}
	if name := s.scenarioEnvName(); name != "" {
		q.Set("scenario", name)
	}
	if len(q) == 0 {
		return "/__mock/mail"
	}
	return "/__mock/mail?" + q.Encode()
}

// scenarioEnvName is a scenario environment's name (its issuer's path),
// "" for the root environment.
func (s *Server) scenarioEnvName() string {
	if !s.opts.child {
		return ""
	}
	u, err := url.Parse(s.issuer)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
