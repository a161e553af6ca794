package servemetrics_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/skctl/skctl/internal/servemetrics"
)

// docRow is a metric as docs/metrics.md's table lists it.
type docRow struct {
	typ    string
	labels []string
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	// A heading of label values: ### `metric{label}`, `metric{label}`
	valuesHeading = regexp.MustCompile("`([a-z_]+)\\{([a-z_]+)\\}`")
)

// readDoc returns docs/metrics.md's table of metrics by name, and its
// lists of label values by metric and label ("metric{label}"); a heading
// with prose and no table (route) has no list.
func readDoc(t *testing.T) (map[string]docRow, map[string][]string) {
	t.Helper()
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]docRow{}
	values := map[string][]string{}
	var under []string // the metric{label} keys of the current values heading
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			under = nil
			for _, m := range valuesHeading.FindAllStringSubmatch(line, -1) {
				under = append(under, m[1]+"{"+m[2]+"}")
			}
		case strings.HasPrefix(line, "## "):
			under = nil
		case strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "|"), " | ")
			first := backticked.FindStringSubmatch(cells[0])[1]
			if under != nil {
				for _, k := range under {
					values[k] = append(values[k], first)
				}
				continue
			}
			if len(cells) != 4 {
				t.Fatalf("docs/metrics.md: a row of %d cells: %s", len(cells), line)
			}
			r := docRow{typ: strings.TrimSpace(cells[1])}
			for _, m := range backticked.FindAllStringSubmatch(cells[2], -1) {
				r.labels = append(r.labels, m[1])
			}
			rows[first] = r
		}
	}
	return rows, values
}

// TestDocsListEveryMetric: docs/metrics.md's table is the registry: every
// metric registered is listed with its type and labels, and nothing else
// is; each documented list of label values is the set the registry
// holds; and the standard collectors are named by prefix. A metric added
// without its row, or a label value without its meaning, fails here.
func TestDocsListEveryMetric(t *testing.T) {
	t.Parallel()
	m := servemetrics.New()
	// Series that appear only with use: one of each.
	m.Request("GET /dashboard", 200, time.Millisecond)
	m.RedisUp(true)
	for _, op := range servemetrics.RedisOps() {
		m.RedisError(op)
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	rows, values := readDoc(t)

	documented := map[string]bool{}
	for _, f := range fams {
		name := f.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue // the standard collectors, named by prefix below
		}
		documented[name] = true
		row, ok := rows[name]
		if !ok {
			t.Errorf("docs/metrics.md does not list %s (%s)", name, f.GetHelp())
			continue
		}
		if want := strings.ToLower(f.GetType().String()); row.typ != want {
			t.Errorf("docs/metrics.md: %s is a %s, not a %s", name, want, row.typ)
		}
		if got := labelNames(f); !slices.Equal(slices.Sorted(slices.Values(row.labels)), got) {
			t.Errorf("docs/metrics.md: %s has the labels %v, not %v", name, got, row.labels)
		}
		for _, label := range labelNames(f) {
			want, listed := values[name+"{"+label+"}"]
			if !listed {
				continue
			}
			if got := labelValues(f, label); !slices.Equal(slices.Sorted(slices.Values(want)), got) {
				t.Errorf("docs/metrics.md lists %v for %s{%s}; the registry holds %v", want, name, label, got)
			}
		}
	}
	for name := range rows {
		if !documented[name] {
			t.Errorf("docs/metrics.md lists %s, which is not registered", name)
		}
	}
	for key := range values {
		name, _, _ := strings.Cut(key, "{")
		if !documented[name] {
			t.Errorf("docs/metrics.md lists the values of %s, which is not registered", key)
		}
	}
	// The closed sets each have their list: a value without its meaning
	// would go unexplained.
	for _, key := range []string{"skctl_serve_sign_ins_total{outcome}", "skctl_serve_refreshes_total{outcome}",
		"skctl_serve_refresh_adoptions_total{source}", "skctl_serve_jwks_fetches_total{outcome}",
		"skctl_serve_idp_requests_total{endpoint}", "skctl_serve_idp_request_duration_seconds{endpoint}",
		"skctl_serve_idp_requests_total{code}", "skctl_serve_redis_errors_total{op}"} {
		if _, ok := values[key]; !ok {
			t.Errorf("docs/metrics.md has no list of the values of %s", key)
		}
	}
	doc, _ := os.ReadFile("../../docs/metrics.md")
	for _, prefix := range []string{"`go_*`", "`process_*`"} {
		if !strings.Contains(string(doc), prefix) {
			t.Errorf("docs/metrics.md does not name the standard collectors' %s", prefix)
		}
	}
}

func labelNames(f *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			seen[l.GetName()] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func labelValues(f *dto.MetricFamily, label string) []string {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				seen[l.GetValue()] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
