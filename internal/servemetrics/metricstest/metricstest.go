// Package metricstest reads metrics the way Prometheus does, for tests: it
// scrapes a /metrics URL over HTTP, parses the text exposition format and
// looks series up by name and labels. Nothing else imports it.
package metricstest

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Exposition is one scrape: the metric families by name.
type Exposition struct {
	tb       testing.TB
	Families map[string]*dto.MetricFamily
}

// Scrape GETs u with client (http.DefaultClient when nil), requires a 200
// in the text format, and parses it.
func Scrape(tb testing.TB, client *http.Client, u string) *Exposition {
	tb.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(u)
	if err != nil {
		tb.Fatalf("scrape %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		tb.Fatalf("scrape %s: %d %.300s", u, resp.StatusCode, body)
	}
	// What Prometheus gets when it asks for nothing else: the text format.
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "version=0.0.4") {
		tb.Fatalf("scrape %s: Content-Type %q, not the text exposition format", u, ct)
	}
	return Parse(tb, resp.Body)
}

// Parse parses the text exposition format.
func Parse(tb testing.TB, r io.Reader) *Exposition {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		tb.Fatalf("parse the exposition: %v", err)
	}
	return &Exposition{tb: tb, Families: fams}
}

// FromFamilies wraps families gathered from a registry.
func FromFamilies(tb testing.TB, fams []*dto.MetricFamily) *Exposition {
	e := &Exposition{tb: tb, Families: map[string]*dto.MetricFamily{}}
	for _, f := range fams {
		e.Families[f.GetName()] = f
	}
	return e
}

// Labels of one series.
type Labels map[string]string

// Find returns the series of name whose labels are exactly labels (pairs
// of name, value), or nil.
func (e *Exposition) Find(name string, labels ...string) *dto.Metric {
	want := Labels{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	f := e.Families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		if maps.Equal(labelsOf(m), want) {
			return m
		}
	}
	return nil
}

// Value is the value of a counter or gauge series; the test fails when
// there is no such series.
func (e *Exposition) Value(name string, labels ...string) float64 {
	e.tb.Helper()
	m := e.Find(name, labels...)
	switch {
	case m == nil:
		e.tb.Fatalf("no series %s%v; the family has %v", name, labels, e.Series(name))
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	e.tb.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

// Histogram is a histogram series; the test fails when there is none.
func (e *Exposition) Histogram(name string, labels ...string) *dto.Histogram {
	e.tb.Helper()
	m := e.Find(name, labels...)
	if m == nil || m.Histogram == nil {
		e.tb.Fatalf("no histogram %s%v; the family has %v", name, labels, e.Series(name))
	}
	return m.Histogram
}

// Series lists the label sets of name's series.
func (e *Exposition) Series(name string) []Labels {
	var out []Labels
	if f := e.Families[name]; f != nil {
		for _, m := range f.GetMetric() {
			out = append(out, labelsOf(m))
		}
	}
	return out
}

// LabelValues lists the distinct values label takes in name's series,
// sorted.
func (e *Exposition) LabelValues(name, label string) []string {
	seen := map[string]bool{}
	for _, l := range e.Series(name) {
		if v, ok := l[label]; ok {
			seen[v] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// String lists the families, for failure messages.
func (e *Exposition) String() string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(e.Families)) {
		fmt.Fprintf(&b, "%s %v\n", name, e.Series(name))
	}
	return b.String()
}

// Bucket is the cumulative count of a histogram's bucket whose upper
// bound is le; the test fails when the histogram has no such bucket.
func Bucket(tb testing.TB, h *dto.Histogram, le float64) uint64 {
	tb.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	tb.Fatalf("no bucket le=%v", le)
	return 0
}

func labelsOf(m *dto.Metric) Labels {
	l := Labels{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}
