package mockserver

import (
	"net/http"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// The "Done when" scenario with the Go client: GET /me, handshake and subscribe,
// the seed pull answered {statusCode:0, referenceId:N}, the WorkitemStateChangeMessage
// with N on /v2/me/workitems, and a second pull refused with statusCode 2.
func TestSeedPull(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelWorkitems)
	r := marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
	expect(t, r, http.StatusOK, 0)
	if r.ref() < 1 {
		t.Fatalf("referenceId %d", r.ref())
	}
	ev := l.next(t, "WorkitemStateChangeMessage", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
	d := data(t, ev)
	if num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("notification referenceId %v, reply %d", d[spec.FieldReferenceID], r.ref())
	}
	wi := d["workitem"].(map[string]any)
	if wi[spec.FieldState] != spec.StateProcessing {
		t.Errorf("state %v", wi[spec.FieldState])
	}
	r2 := marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
	expect(t, r2, http.StatusBadRequest, int(spec.StatusInvalidParameter))
}
