package webapp

import (
	"encoding/json"
	"testing"
)

// TestSharedOutcomeKeepsWhatRedeemReturns: a refresh adopted from another
// replica must be what redeem would have returned here, or an opaque
// access token loses its only expiry (expires_in) and a profile filled
// from userinfo is dropped at the first refresh.
func TestSharedOutcomeKeepsWhatRedeemReturns(t *testing.T) {
	old := &tokens{Access: "old-at", Refresh: "old-rt", ID: "h.p.s", Session: "sess", Name: "Ada Lovelace", Email: "ada@example.test"}
	redeemed := &tokens{Access: "opaque-at", Refresh: "new-rt", ID: old.ID, Name: old.Name, Email: old.Email, newID: "h2.p2.s2", expiresIn: 300}
	out, keep := outcomeOf(redeemed, nil, old.Refresh)
	if keep == 0 {
		t.Fatal("a rotated refresh token's result is not kept for the other replicas")
	}
	b, err := json.Marshal(out) // what travels, sealed, through the store
	if err != nil {
		t.Fatal(err)
	}
	var back sharedOutcome
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.adopt(old)
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	want := *redeemed
	want.Session = old.Session
	if *got != want {
		t.Errorf("adopted %+v, want what redeem returned %+v", *got, want)
	}
}
