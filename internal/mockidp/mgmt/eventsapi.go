package mgmt

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/skctl/skctl/internal/mockidp/events"
	eventspb "github.com/skctl/skctl/internal/scalekitpb/events"
)

// eventsService serves EventsService.ListEventsPaginated over the
// environment's event log: the events the webhooks deliver.
type eventsService struct{ a *API }

// ListEventsPaginated lists the events a filter selects, OLDEST first:
// Scalekit does not document the order, and oldest first keeps a page
// token pointing at the same events while new ones are appended, so a
// poller that follows next_page_token sees each event once.
func (s *eventsService) ListEventsPaginated(ctx context.Context, req *connect.Request[eventspb.ListEventsPaginatedRequest]) (*connect.Response[eventspb.ListEventsPaginatedResponse], error) {
	p, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	f := req.Msg.GetFilter()
	var filter events.Filter
	filter.OrganizationID = f.GetOrganizationId()
	for _, t := range f.GetEventTypes() {
		filter.Types = append(filter.Types, events.Type(t))
	}
	if f.GetStartTime() != nil {
		filter.Since = f.GetStartTime().AsTime()
	}
	if f.GetEndTime() != nil {
		filter.Until = f.GetEndTime().AsTime()
	}
	var all []events.Event
	if s.a.d.Events != nil {
		all = s.a.d.Events.List(filter)
	}
	l := window(all, p)
	out := &eventspb.ListEventsPaginatedResponse{}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, e := range l.Items {
		out.Events = append(out.Events, eventMsg(e))
	}
	return connect.NewResponse(out), nil
}

// eventMsg is an event on the wire: the envelope a webhook delivers.
func eventMsg(e events.Event) *eventspb.ScalekitEvent {
	m := &eventspb.ScalekitEvent{
		SpecVersion:    e.SpecVersion,
		Id:             e.ID,
		Type:           string(e.Type),
		OccurredAt:     ts(e.OccurredAt),
		EnvironmentId:  e.EnvironmentID,
		OrganizationId: optional(e.OrganizationID),
		Object:         eventspb.ObjectType(eventspb.ObjectType_value[string(e.Object)]),
		DisplayName:    e.DisplayName,
		Data:           &structpb.Struct{},
	}
	if len(e.Data) > 0 {
		// Data was made from JSON objects; one that does not parse stays
		// empty rather than failing the whole list.
		_ = m.Data.UnmarshalJSON(e.Data)
	}
	return m
}
