package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needNode returns node's path, or skips the test when node is missing,
// except under CI=true, where it fails (as internal/mockidp/nodesdk_test.go
// does).
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "this check needs node on PATH ("+err.Error()+")")
	}
	return node
}

func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// nodeSDKDir returns scripts/node-sdk of the repository (found from the
// package directory by looking up for go.mod), skipping or failing like
// needNode when Scalekit's Node SDK is not installed there.
func nodeSDKDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	sdk := filepath.Join(dir, "scripts", "node-sdk")
	if _, err := os.Stat(filepath.Join(sdk, "node_modules", "@scalekit-sdk", "node", "package.json")); err != nil {
		skipOrFail(t, "this check needs Scalekit's Node SDK: run `npm ci --prefix scripts/node-sdk` ("+err.Error()+")")
	}
	return sdk
}

// runNode runs node with args and stdin, failing the test unless it exits 0.
func runNode(t *testing.T, node string, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v (context: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), stderr.Bytes())
	}
	return out
}

// TestCanonicalMatchesNode runs the table cases and a few thousand
// generated JSON texts through node's JSON.stringify(JSON.parse(text)) and
// checks that Canonical gives the same bytes, and fails exactly where
// JSON.parse throws.
func TestCanonicalMatchesNode(t *testing.T) {
	t.Parallel()
	node := needNode(t)
	var corpus []string
	for _, c := range canonicalCases {
		corpus = append(corpus, c.in)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("generator seed %d", seed)
	g := &gen{r: rand.New(rand.NewPCG(seed, 11))}
	for range 3000 {
		corpus = append(corpus, g.text())
	}
	// Each text once more with a byte cut off or swapped, mostly invalid,
	// to compare where the two parsers give up.
	for i := range 500 {
		s := corpus[len(canonicalCases)+i]
		if len(s) > 1 {
			corpus = append(corpus, s[:len(s)-1], s[1:])
		}
	}

	var in bytes.Buffer
	for _, s := range corpus {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(s)) + "\n")
	}
	file := filepath.Join(t.TempDir(), "corpus.b64")
	if err := os.WriteFile(file, in.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(runNode(t, node, nil, filepath.Join("testdata", "stringify.cjs"), file)), "\n"), "\n")
	if len(lines) != len(corpus) {
		t.Fatalf("node printed %d lines for %d texts", len(lines), len(corpus))
	}
	var failures, parsed int
	for i, s := range corpus {
		got, err := Canonical([]byte(s))
		var msg string
		switch {
		case lines[i] == "ERR" && err == nil:
			msg = fmt.Sprintf("Canonical = %q, but JSON.parse throws", got)
		case lines[i] == "ERR":
			continue
		case err != nil:
			msg = fmt.Sprintf("Canonical: %v, but JSON.parse accepts it", err)
		default:
			parsed++
			want, derr := base64.StdEncoding.DecodeString(lines[i])
			if derr != nil {
				t.Fatalf("line %d from node: %v", i, derr)
			}
			if bytes.Equal(got, want) {
				continue
			}
			msg = fmt.Sprintf("Canonical =\n\t%q\nJSON.stringify =\n\t%q", got, want)
		}
		t.Errorf("text %d %q:\n%s", i, s, msg)
		if failures++; failures == 20 {
			t.Fatal("stopping after 20 differences")
		}
	}
	// The generated texts must mostly be valid, or the comparison says little.
	if parsed < 3000 {
		t.Errorf("only %d of %d texts were valid JSON", parsed, len(corpus))
	}
	t.Logf("%d texts, %d valid, all alike", len(corpus), parsed)
}

// gen writes random JSON texts heavy in what JSON.stringify treats
// specially.
type gen struct {
	r *rand.Rand
	b []byte
}

func (g *gen) text() string {
	g.b = g.b[:0]
	g.ws()
	g.value(0)
	g.ws()
	return string(g.b)
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *gen) ws() {
	for g.r.IntN(5) == 0 {
		g.b = append(g.b, g.pick(" ", "\t", "\n", "\r")...)
	}
}

func (g *gen) value(depth int) {
	n := 7
	if depth >= 4 {
		n = 5 // no more containers
	}
	switch g.r.IntN(n) {
	case 0, 1:
		g.str()
	case 2, 3:
		g.number()
	case 4:
		g.b = append(g.b, g.pick("true", "false", "null")...)
	case 5:
		g.b = append(g.b, '[')
		for i := range g.r.IntN(5) {
			if i > 0 {
				g.b = append(g.b, ',')
			}
			g.ws()
			g.value(depth + 1)
			g.ws()
		}
		g.b = append(g.b, ']')
	case 6:
		g.b = append(g.b, '{')
		for i := range g.r.IntN(7) {
			if i > 0 {
				g.b = append(g.b, ',')
			}
			g.ws()
			g.key()
			g.ws()
			g.b = append(g.b, ':')
			g.ws()
			g.value(depth + 1)
			g.ws()
		}
		g.b = append(g.b, '}')
	}
}

// key is mostly from a small pool, so that keys repeat, with integer-like
// ones on both sides of the array-index rules.
func (g *gen) key() {
	if g.r.IntN(4) == 0 {
		g.str()
		return
	}
	k := g.pick("a", "b", "id", "0", "1", "2", "10", "01", "-1", "1.0", "1e3", " 1",
		"4294967294", "4294967295", "4294967296", "9007199254740991", "__proto__", "", "\\u0031", "\\u0030")
	g.b = append(g.b, '"')
	g.b = append(g.b, k...)
	g.b = append(g.b, '"')
}

func (g *gen) hex4(u uint16) {
	h := fmt.Sprintf("%04x", u)
	if g.r.IntN(2) == 0 {
		h = strings.ToUpper(h)
	}
	g.b = append(g.b, `\u`+h...)
}

func (g *gen) str() {
	g.b = append(g.b, '"')
	for range g.r.IntN(8) {
		switch g.r.IntN(12) {
		case 0:
			g.b = append(g.b, g.pick("a", "Z", " ", "~", "<", ">", "&", "'", "\x7f")...)
		case 1:
			g.b = append(g.b, g.pick("é", "\u2028", "\u2029", "\ufeff", "\uffff", "😀", "中", "\u00ad", "\U0010ffff")...)
		case 2:
			g.b = append(g.b, g.pick(`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`)...)
		case 3:
			g.hex4(uint16(g.r.IntN(0x20))) // control characters
		case 4:
			g.hex4(uint16(0xD800 + g.r.IntN(0x800))) // a surrogate, mostly lone
		case 5:
			g.hex4(uint16(0xD800 + g.r.IntN(0x400))) // a pair
			g.hex4(uint16(0xDC00 + g.r.IntN(0x400)))
		case 6:
			g.hex4(uint16(g.r.IntN(0x10000)))
		case 7:
			g.hex4(uint16(g.pick2(0x22, 0x5c, 0x2f, 0x3c, 0x2028, 0x2029, 0x7f, 0x80, 0xfeff)))
		default:
			g.b = append(g.b, byte('a'+g.r.IntN(26)))
		}
	}
	g.b = append(g.b, '"')
}

func (g *gen) pick2(v ...int) int { return v[g.r.IntN(len(v))] }

func (g *gen) number() {
	switch g.r.IntN(6) {
	case 0: // any double, printed by Go in some JSON-valid form
		f := math.Float64frombits(g.r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0
		}
		g.b = strconv.AppendFloat(g.b, f, g.pick("e", "E", "g", "f")[0], -1, 64)
	case 1: // integers of up to 30 digits
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, '-')
		}
		g.b = strconv.AppendUint(g.b, 1+g.r.Uint64N(9), 10)
		for range g.r.IntN(30) {
			g.b = append(g.b, byte('0'+g.r.IntN(10)))
		}
	case 2: // digits near the 1e21 and 1e-7 switches
		m := 1 + g.r.IntN(999)
		e := g.pick2(-9, -8, -7, -6, -5, 18, 19, 20, 21, 22)
		g.b = fmt.Appendf(g.b, "%de%d", m, e-len(strconv.Itoa(m))+1)
	case 3: // mantissa and exponent of any size, including over- and underflow
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, '-')
		}
		g.b = append(g.b, g.pick("0", "1", "9", "12", "4", "2")...)
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, '.')
			for range 1 + g.r.IntN(20) {
				g.b = append(g.b, byte('0'+g.r.IntN(10)))
			}
		}
		g.b = append(g.b, g.pick("e", "E", "e+", "e-", "E-")...)
		g.b = strconv.AppendInt(g.b, int64(g.r.IntN(700)), 10)
	case 4: // short decimals, the usual case
		g.b = fmt.Appendf(g.b, "%d.%0*d", g.r.IntN(1000), 1+g.r.IntN(3), g.r.IntN(1000))
	default:
		g.b = append(g.b, g.pick("0", "-0", "0.0", "-0.0", "0e0", "1", "-1", "1.5", "100", "1e21", "1e-7", "5e-324", "2.5e-324", "1.7976931348623158e308")...)
	}
}

// TestSignatureVerifiesWithNodeSDK signs bodies with Headers and has
// Scalekit's Node SDK (scripts/node-sdk) verify them with
// verifyWebhookPayload: the genuine delivery passes, also after
// JSON.stringify(JSON.parse(body)) as Scalekit's Next.js sample verifies
// it; a tampered body, a timestamp 301 s old or 330 s ahead and the wrong
// secret fail with the SDK's WebhookVerificationError. Verify must agree
// on every case.
func TestSignatureVerifiesWithNodeSDK(t *testing.T) {
	t.Parallel()
	node := needNode(t)
	sdk := nodeSDKDir(t)

	event := map[string]any{
		"spec_version": "1",
		"id":           "evt_1",
		"type":         "organization.updated",
		"data": map[string]any{
			"display_name": "Ada & Co <R&D>\u2028",
			"ratio":        1.5,
			"metadata":     map[string]string{"b": "x", "7": "seven"},
		},
	}
	body, err := Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<", "&", "\u2028", "1.5", `"7":`} {
		if !bytes.Contains(body, []byte(s)) {
			t.Fatalf("body %s lacks %q, so the test would not exercise it", body, s)
		}
	}
	// encoding/json's bytes for the same event: they verify as sent, but not
	// once the receiver re-serialises them; this shows the re-serialised
	// case can fail at all.
	goBody, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}

	secret, other := NewSecret(), NewSecret()
	now := time.Now()
	type delivery struct {
		Name        string            `json:"name"`
		Secret      string            `json:"secret"`
		Headers     map[string]string `json:"headers"`
		Body        string            `json:"body"`
		Reserialise bool              `json:"reserialise"`
		want        string            // node's line after the name
		wantGo      error             // Verify's error
		verifyBody  []byte            // the body Verify checks, if not Body
	}
	headers := func(secret string, ts time.Time, body []byte) http.Header {
		h, err := Headers(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	good := headers(secret, now, body)
	multi := good.Clone()
	multi.Set(HeaderSignature, "v1a,zzz v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" "+good.Get(HeaderSignature))
	tampered := bytes.Replace(body, []byte("1.5"), []byte("2.5"), 1)
	reserialisedGo, err := Canonical(goBody)
	if err != nil {
		t.Fatal(err)
	}
	const bad = "WebhookVerificationError: Invalid Signature"
	cases := []delivery{
		{Name: "genuine", Headers: lower(good), Body: string(body), want: "ok"},
		{Name: "genuine-reserialised", Headers: lower(good), Body: string(body), Reserialise: true, want: "ok"},
		{Name: "several-signatures", Headers: lower(multi), Body: string(body), want: "ok"},
		{Name: "tampered-body", Headers: lower(good), Body: string(tampered), want: bad, wantGo: ErrInvalidSignature},
		{Name: "301s-old", Headers: lower(headers(secret, now.Add(-301*time.Second), body)), Body: string(body),
			want: "WebhookVerificationError: Message timestamp too old", wantGo: ErrTimestampTooOld},
		// Ahead by more than 301 s: the clocks move on while node starts.
		{Name: "330s-ahead", Headers: lower(headers(secret, now.Add(330*time.Second), body)), Body: string(body),
			want: "WebhookVerificationError: Message timestamp too new", wantGo: ErrTimestampTooNew},
		{Name: "wrong-secret", Headers: lower(headers(other, now, body)), Body: string(body), want: bad, wantGo: ErrInvalidSignature},
		{Name: "encoding-json", Headers: lower(headers(secret, now, goBody)), Body: string(goBody), want: "ok"},
		{Name: "encoding-json-reserialised", Headers: lower(headers(secret, now, goBody)), Body: string(goBody), Reserialise: true,
			want: bad, wantGo: ErrInvalidSignature, verifyBody: reserialisedGo},
	}
	for i := range cases {
		cases[i].Secret = secret
	}
	in, err := json.Marshal(map[string]any{"sdkDir": sdk, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	out := string(runNode(t, node, in, filepath.Join("testdata", "verify.cjs")))
	t.Logf("node verify.cjs:\n%s", out)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, result, _ := strings.Cut(line, " ")
		got[name] = result
	}
	for _, c := range cases {
		if got[c.Name] != c.want {
			t.Errorf("%s: the Node SDK said %q, want %q", c.Name, got[c.Name], c.want)
		}
		vb := []byte(c.Body)
		if c.verifyBody != nil {
			vb = c.verifyBody
		}
		h := http.Header{}
		for k, v := range c.Headers {
			h[k] = []string{v} // lower-case keys, as Node has them
		}
		if err := Verify(c.Secret, h, vb, time.Now()); !errors.Is(err, c.wantGo) {
			t.Errorf("%s: Verify = %v, want %v", c.Name, err, c.wantGo)
		}
	}
}

// lower returns the headers as Node's req.headers holds them: lower-case
// names, one value each.
func lower(h http.Header) map[string]string {
	m := map[string]string{}
	for k := range h {
		m[strings.ToLower(k)] = h.Get(k)
	}
	return m
}
