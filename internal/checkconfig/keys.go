package checkconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

func (st *state) checkKeys(ctx context.Context) result {
	resp, body, err := st.do(ctx, http.MethodGet, st.doc.JWKSURI, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		reason := describe(err)
		if err == nil {
			reason = fmt.Sprintf("status %d", resp.StatusCode)
		}
		return fail("could not fetch the keys at "+st.doc.JWKSURI+": "+reason, "the environment's jwks_uri must serve its signing keys; try again, or contact Scalekit support").onMock(mockFaultHint)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return fail(st.doc.JWKSURI+" is not a JSON Web Key Set", "the environment's jwks_uri must serve a JWKS").onMock(mockFaultHint)
	}
	usable := 0
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				return fail("the JWKS publishes private key material ("+private+")", "rotate the signing key at once: the published one is compromised")
			}
		}
		kid, _ := k["kid"].(string)
		alg, hasAlg := k["alg"].(string)
		if k["kty"] == "RSA" && kid != "" && (!hasAlg || alg == "RS256") {
			usable++
		}
	}
	if usable == 0 {
		return fail(fmt.Sprintf("the JWKS has %d keys and no RS256 key with a kid", len(set.Keys)), "tokens cannot be verified; the environment's keys are missing or unusable").onMock(mockFaultHint)
	}
	return pass(fmt.Sprintf("%d RS256 signing key(s) with a kid", usable))
}
