package mgmt

import (
	"iter"

	"connectrpc.com/connect"
	"maps"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// ts is a time on the wire; the zero time is absent.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// optional is a proto3 optional string: absent when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func mapsKeys[V any](m map[string]V) iter.Seq[string] { return maps.Keys(m) }

func itoa(i int) string { return strconv.Itoa(i) }

// changed answers a change: the tenant's error as a status, or, once the
// change is durable (--state-dir), nil. A change is never answered before
// it would survive a crash.
func (a *API) changed(err error) error {
	if err != nil {
		return fromTenant(err)
	}
	if a.d.Persist != nil {
		if err := a.d.Persist(); err != nil {
			a.d.Log.Error("management API: could not save the state", "err", err)
			return withInfo(connect.CodeInternal, "skctl mock-idp could not save the change to --state-dir; see its log", nil)
		}
	}
	return nil
}
