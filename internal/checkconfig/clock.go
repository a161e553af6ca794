package checkconfig

import (
	"context"
	"fmt"
	"time"
)

func (st *state) checkClock(context.Context) result {
	if st.date.IsZero() {
		return skip("the IdP sent no Date header")
	}
	skew := st.o.Now().Sub(st.date)
	if skew < 0 {
		skew = -skew
	}
	// Date has one-second resolution.
	if skew > st.o.Leeway+time.Second {
		return fail(fmt.Sprintf("this machine's clock is %s off the IdP's", skew.Round(time.Second)),
			fmt.Sprintf("sync the clock with NTP: tokens are checked with a leeway of %s", st.o.Leeway))
	}
	return pass(fmt.Sprintf("the clock is within %s of the IdP's", st.o.Leeway))
}
