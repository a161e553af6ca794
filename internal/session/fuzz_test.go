package session

import (
	"errors"
	"net/http/httptest"
	"testing"
)

// fuzzCodec returns a Codec whose encodings are the same on every run and
// in every fuzz worker, so that "decodes" can be checked against "was
// encoded as a seed" even for inputs cached from earlier runs.
func fuzzCodec(t testing.TB) *Codec {
	c := newCodec(t, &clock{t0}, key(7), key(8))
	c.rand = &counter{}
	return c
}

// FuzzDecode: no (name, value) panics, every failure wraps ErrInvalid, and
// the only values that decode are the seeds Encode produced (F5).
func FuzzDecode(f *testing.F) {
	c := fuzzCodec(f)
	sealed := map[[2]string]string{} // {name, value} → plaintext
	for _, s := range []struct{ name, plaintext string }{
		{"at", "access"},
		{"__Host-rt", "refresh"},
		{"tx_0123456789abcdef", `{"state":"s","nonce":"n"}`},
		{"", ""},
	} {
		v, err := c.Encode(s.name, []byte(s.plaintext))
		if err != nil {
			f.Fatal(err)
		}
		sealed[[2]string{s.name, v}] = s.plaintext
		f.Add(s.name, v)
		f.Add(s.name, flipFirst(v))
	}
	f.Add("at", "")
	f.Add("at", "AQ")
	f.Fuzz(func(t *testing.T, name, value string) {
		got, err := c.Decode(name, value)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got=%v, want an error wrapping ErrInvalid", err)
			}
			return
		}
		want, ok := sealed[[2]string{name, value}]
		if !ok {
			t.Fatalf("forgery: Decode(%q, %q) succeeded with %q, but Encode never produced it", name, value, got)
		}
		if string(got) != want {
			t.Fatalf("got=%q, want=%q", got, want)
		}
	})
}

// FuzzRead: no Cookie header panics Read, StartTransaction or
// TakeTransaction; failures are ErrNoCookie or ErrInvalid; and Read only
// ever returns a plaintext that a seed cookie carried (F3, F5).
func FuzzRead(f *testing.F) {
	c := fuzzCodec(f)
	plaintexts := map[string]bool{}
	for _, s := range []struct {
		o         CookieOptions
		plaintext string
	}{
		{CookieOptions{}, "plain session"},
		{CookieOptions{Secure: true}, "secure session"},
		{CookieOptions{}, string(randomBytes(6<<10, 9))}, // three chunks
	} {
		rec := httptest.NewRecorder()
		if err := c.Write(rec, nil, "s", s.o, []byte(s.plaintext)); err != nil {
			f.Fatal(err)
		}
		b := browser{}
		b.apply(rec)
		plaintexts[s.plaintext] = true
		f.Add(b.header())
		f.Add(b.header() + "; " + b.header())
	}
	f.Add("s=a; s=b")
	f.Add("s_1=x; s_2=y")
	f.Add(`s="AQ"; tx_0123456789abcdef=x; tx_0123456789abcdef=y`)
	f.Fuzz(func(t *testing.T, header string) {
		r := requestWith(header)
		for _, o := range []CookieOptions{{}, {Secure: true}} {
			got, err := c.Read(r, "s", o)
			if err != nil {
				if !errors.Is(err, ErrNoCookie) && !errors.Is(err, ErrInvalid) {
					t.Fatalf("Read: got=%v, want ErrNoCookie or ErrInvalid", err)
				}
			} else if !plaintexts[string(got)] {
				t.Fatalf("forgery: Read(%q) succeeded with %q, which no seed carried", header, got)
			}
			if err := c.StartTransaction(httptest.NewRecorder(), r, "tx", "state", o, 2, []byte("x")); err != nil {
				t.Fatalf("StartTransaction: got=%v, want=nil", err)
			}
			_, err = c.TakeTransaction(httptest.NewRecorder(), r, "tx", "state", o)
			if err != nil && !errors.Is(err, ErrNoCookie) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("TakeTransaction: got=%v, want ErrNoCookie or ErrInvalid", err)
			}
			Clear(httptest.NewRecorder(), r, "s", o)
		}
	})
}
