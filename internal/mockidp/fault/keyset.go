package fault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// KeySet applies the jwks.* modes that change the key set: it returns raw
// JWKs to publish after the real keys, and whether to cut the document in
// half. answered reports that the request is already answered (an empty
// set). The flapping key set is an outage (Outage).
func (e *Env) KeySet(w http.ResponseWriter) (extra [][]byte, cut, answered bool) {
	if !e.faults.Any() {
		return nil, false, false
	}
	if e.faults.On(JWKSEmpty, "") {
		wire.WriteStaticJSON(w, []byte(`{"keys":[]}`))
		return nil, false, true
	}
	cut = e.faults.On(JWKSMalformed, "")
	if e.faults.Has(JWKSUnparseableExtraKey) {
		extra = append(extra, []byte(`{"kty":"AKP","kid":"snk_unparseable","alg":"ML-DSA-44","pub":"AAAA"}`))
	}
	if e.faults.Has(JWKSUnsupportedAlgKey) {
		extra = append(extra, []byte(`{"kty":"EC","kid":"snk_es256k","alg":"ES256K","crv":"secp256k1","x":"gKa0nrdkyRn8MfOhDc6QaIZ1eMzUmNzUHhOfxWmdtSg","y":"2i8ZpLgbUTGrQjDpy8whWo4Ytxh1Ka-EmKsm9anOcI4"}`))
	}
	if e.faults.Has(IDTKidAbsentMulti) {
		extra = append(extra, decoyJWKAs(decoyKID))
	}
	if e.faults.On(JWKSDuplicateKid, "") {
		// After the real key: go-jose's JSONWebKeySet.Key lists it first,
		// and go-oidc tries every key with the kid, so tokens still verify.
		if kid, _, err := e.keys.Current(); err == nil {
			extra = append(extra, decoyJWKAs(kid))
		}
	}
	if e.faults.On(JWKSHuge, "") {
		extra = append(extra, hugeJWKSPadding())
	}
	return extra, cut, false
}

// decoyKID is the kid the decoy key is published under where it is
// published at all: a kid no environment signs with.
const decoyKID = "snk_10000000000000009"

// decoyJWKAs is the public JWK of the decoy key under kid.
func decoyJWKAs(kid string) []byte {
	b, _ := json.Marshal(jose.JSONWebKey{Key: &decoy().PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	return b
}

// hugeJWKSPadding is the comma-separated JWKs that jwks.huge adds after
// the real keys: copies of the decoy public key under kids of no signing
// key, more than hugeSize bytes in all, so that /keys stays a valid key
// set an app can use, if it reads that much.
var hugeJWKSPadding = sync.OnceValue(func() []byte {
	before, after, _ := bytes.Cut(decoyJWKAs("KID"), []byte(`"KID"`))
	var b bytes.Buffer
	for i := 0; b.Len() <= hugeSize; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s"snk_padding_%05d"%s`, before, i, after)
	}
	return b.Bytes()
})
