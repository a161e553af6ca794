package mockidp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/webhook"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// The webhook delivery log: GET /__mock/webhooks, a page (or JSON) of the
// deliveries, newest first, and POST /__mock/webhooks/{id}/resend.

const webhooksPath = "/__mock/webhooks"

// pageLimit is how many deliveries the page shows unless ?limit says
// otherwise: each carries its body and answers, and the JSON has them all.
const pageLimit = 100

var webhooksPage = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/webhooks.html"))

func isWebhooksPath(path string) bool {
	return path == webhooksPath || strings.HasPrefix(path, webhooksPath+"/")
}

// handleWebhooks serves the log and the resend. The control endpoints'
// rules apply, but for one thing: the log is the mock's own page, so a
// request that page started (its Resend form, the redirect back to it) is
// answered. A page of any other origin, another local app's included, is
// refused as at every control endpoint.
func (p *plane) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	why := p.networkRefusal(r)
	if why == "" && !fromOwnPage(r) {
		why = browserRefusal(r)
	}
	if why != "" {
		http.Error(w, "403 forbidden: "+why, http.StatusForbidden)
		return
	}
	s := p.env
	if s.webhooks == nil { // only the root delivers, and only it serves /__mock
		http.NotFound(w, r)
		return
	}
	if r.URL.Path == webhooksPath {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.serveWebhookLog(w, r)
		return
	}
	id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, webhooksPath+"/"), "/resend")
	if !ok || id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 method not allowed: POST to resend", http.StatusMethodNotAllowed)
		return
	}
	s.resendWebhook(w, r, id)
}

// fromOwnPage reports whether a browser request was started by a page of
// the mock's own origin: a navigation within it, or a form posted from
// it. Browsers send Origin with every POST, so a form of another site
// never passes; fetch metadata tells same-origin from same-site (another
// port of localhost is same-site). A page served with Referrer-Policy
// no-referrer, as the mock's are, makes Chromium post its forms with
// Origin "null"; Sec-Fetch-Site, which no page can set, then says
// whether the form was the mock's own.
func fromOwnPage(r *http.Request) bool {
	self := "http://" + r.Host
	if r.TLS != nil {
		self = "https://" + r.Host
	}
	origin, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		own := (origin == self && (site == "" || site == "same-origin")) || (origin == "null" && site == "same-origin")
		return own && mt == "application/x-www-form-urlencoded"
	}
	return site == "same-origin" && (origin == "" || origin == self)
}

// wantsJSON reports whether the caller asked for JSON, by the mailbox's
// rule: ?format=json or ?format=html decides; else a JSON request body is
// JSON; else the page only for an Accept that prefers text/html, as a
// browser's does, so curl, fetch and Go's client get JSON.
func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return true
	}
	return !prefersHTML(r.Header.Get("Accept"))
}

// webhookLog is the log as JSON.
type webhookLog struct {
	Endpoints  []webhookEndpoint  `json:"endpoints"`
	Policy     webhookPolicy      `json:"policy"`
	Total      int                `json:"total"`
	Deliveries []webhook.Delivery `json:"deliveries"`
}

type webhookEndpoint struct {
	URL string `json:"url"`
	// Events are the types the endpoint subscribes to; empty means all.
	Events []string `json:"events"`
}

type webhookPolicy struct {
	Timeout     string   `json:"timeout"`
	MaxAttempts int      `json:"max_attempts"`
	Backoff     []string `json:"backoff"`
}

func (s *Server) serveWebhookLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" && f != "html" {
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("format is json or html."))
		return
	}
	f := webhook.Filter{EventID: q.Get("event_id"), Status: webhook.Status(q.Get("status"))}
	switch f.Status {
	case "", webhook.Queued, webhook.Retrying, webhook.Delivered, webhook.Failed:
	default:
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("status is queued, retrying, delivered or failed."))
		return
	}
	asJSON := wantsJSON(r)
	if !asJSON {
		f.Limit = pageLimit
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("limit is a count of deliveries, such as 20."))
			return
		}
		f.Limit = n
	}
	d := s.webhooks
	total, by := d.Count()
	log := webhookLog{Total: total, Deliveries: d.List(f)}
	for _, ep := range d.Endpoints() {
		if ep.Events == nil {
			ep.Events = []string{}
		}
		log.Endpoints = append(log.Endpoints, webhookEndpoint{URL: ep.URL, Events: ep.Events})
	}
	pol := d.Policy()
	log.Policy = webhookPolicy{Timeout: pol.Timeout.String(), MaxAttempts: d.MaxAttempts(), Backoff: []string{}}
	for _, b := range pol.Backoff {
		log.Policy.Backoff = append(log.Policy.Backoff, b.String())
	}
	if log.Endpoints == nil {
		log.Endpoints = []webhookEndpoint{}
	}
	if asJSON {
		wire.WriteJSON(w, http.StatusOK, log)
		return
	}
	renderPage(w, http.StatusOK, webhooksPage, s.webhooksPageData(log, by, q.Get("resent")))
}

// resendWebhook queues a new delivery of a delivery's event: 202 with its
// ID for an API caller, or 303 back to the page for the form.
func (s *Server) resendWebhook(w http.ResponseWriter, r *http.Request, id string) {
	nd, err := s.webhooks.Resend(id)
	// Only the page's form posts a form: it gets the page flow.
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	asJSON := mt != "application/x-www-form-urlencoded" && wantsJSON(r)
	if err != nil {
		status := http.StatusConflict
		switch {
		case errors.Is(err, webhook.ErrNoDelivery):
			status = http.StatusNotFound
		case errors.Is(err, webhook.ErrQueueFull):
			status = http.StatusServiceUnavailable
		}
		msg := fmt.Sprintf("Delivery %s cannot be resent: %v.", id, err)
		if asJSON {
			wire.WriteJSON(w, status, wire.InvalidRequest(msg))
			return
		}
		renderPage(w, status, messagePage, messageData{Issuer: s.issuer, Title: "Not resent", Message: msg, Hint: "Go back to " + webhooksPath + " and reload it."})
		return
	}
	// After persisting, as for a change through the API: a crash after
	// the answer does not lose the resend.
	if err := s.persistWebhooks(); err != nil {
		s.log.Error("saving the webhook deliveries", "err", err)
	}
	if asJSON {
		wire.WriteJSON(w, http.StatusAccepted, map[string]string{"delivery_id": nd.ID, "resent_from": id, "event_id": nd.EventID})
		return
	}
	http.Redirect(w, r, webhooksPath+"?resent="+url.QueryEscape(nd.ID)+"#"+url.PathEscape(nd.ID), http.StatusSeeOther)
}

// webhooksPageData fills webhooks.html.
type webhooksPageData struct {
	Issuer, Title string
	Endpoints     []webhookEndpointRow
	Policy        string
	Summary       string
	Deliveries    []deliveryRow
	Shown, Total  int
	Resent        string
}

type webhookEndpointRow struct{ URL, Events string }

type deliveryRow struct {
	webhook.Delivery
	Created, Next, Pretty string
	Rows                  []attemptRow
	Highlight             bool
}

type attemptRow struct {
	N                                int
	At, Result, Detail, Latency, Ans string
	OK, Truncated                    bool
}

func (s *Server) webhooksPageData(log webhookLog, by map[webhook.Status]int, resent string) webhooksPageData {
	data := webhooksPageData{Issuer: s.issuer, Title: "Webhooks", Shown: len(log.Deliveries), Total: log.Total, Resent: resent}
	for _, ep := range log.Endpoints {
		events := "every event type"
		if len(ep.Events) > 0 {
			events = strings.Join(ep.Events, ", ")
		}
		data.Endpoints = append(data.Endpoints, webhookEndpointRow{URL: ep.URL, Events: events})
	}
	data.Policy = fmt.Sprintf("Each attempt may take %s; %d attempts in all", log.Policy.Timeout, log.Policy.MaxAttempts)
	if len(log.Policy.Backoff) > 0 {
		data.Policy += ", the retries after " + strings.Join(log.Policy.Backoff, ", ")
	}
	data.Policy += ". An endpoint gets the events in order: one that fails holds the later ones back until it is delivered or given up."
	var parts []string
	for _, st := range []webhook.Status{webhook.Delivered, webhook.Retrying, webhook.Queued, webhook.Failed} {
		if n := by[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	data.Summary = strings.Join(parts, " · ")
	for _, d := range log.Deliveries {
		row := deliveryRow{Delivery: d, Created: clock(d.CreatedAt), Highlight: d.ID == resent}
		if d.NextAttemptAt != nil {
			row.Next = clock(*d.NextAttemptAt)
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, []byte(d.Body), "", "  ") == nil {
			row.Pretty = pretty.String()
		} else {
			row.Pretty = d.Body
		}
		for _, a := range d.Attempts {
			ar := attemptRow{N: a.N, At: a.At.UTC().Format("15:04:05.000"), OK: a.OK(), Latency: latency(a.LatencyMS), Ans: a.Response, Truncated: a.Truncated}
			if a.Status != 0 {
				ar.Result = strconv.Itoa(a.Status) + " " + http.StatusText(a.Status)
				if a.Status >= 300 && a.Status < 400 {
					ar.Detail = a.Error
				}
			} else {
				ar.Result = a.Error
			}
			row.Rows = append(row.Rows, ar)
		}
		data.Deliveries = append(data.Deliveries, row)
	}
	return data
}

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }

func latency(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}
