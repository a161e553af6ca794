package suggest

import "testing"

// TestDistance: a swap of two neighbours is one slip.
func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"SECERT", "SECRET", 1}, {"", "ABC", 3}, {"KITTEN", "SITTING", 3}, {"SAME", "SAME", 0}, {"URL", "URI", 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestNearest: the closest candidate, the first of equals.
func TestNearest(t *testing.T) {
	if got, d := Nearest("idt.nonce_wrng", []string{"idt.iss_wrong", "idt.nonce_wrong", "idt.nonce_missing"}); got != "idt.nonce_wrong" || d != 1 {
		t.Errorf("Nearest = %q, %d", got, d)
	}
	if got, d := Nearest("x", nil); got != "" || d != -1 {
		t.Errorf("Nearest of none = %q, %d", got, d)
	}
}
