package observe

import (
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
)

// as makes an exchange of another user's session (user's password is his name).
func as(ex *Exchange, user, session string) *Exchange {
	ex.RequestHeader = ex.RequestHeader.Clone()
	if ex.RequestHeader.Get("Authorization") != "" {
		ex.RequestHeader.Set("Authorization", basic(user))
	}
	ex.RequestHeader.Set("Cookie", "JSESSIONID="+session)
	return ex
}

// TestTransferredNotIsolation: after MaratTest pulls x1 and transfers it to agent2, agent2's
// own notifications of x1 (his Accept's, whose referenceId of his session may equal the
// pull's) are not a leak of the pull's (D9 vs D17).
func TestTransferredNotIsolation(t *testing.T) {
	s := newScript(t, Options{})
	s.listen()
	ms := func(d int) time.Duration { return time.Duration(d) * time.Millisecond }
	s.observe(
		as(s.rest(ms(20), ms(5), "GET", "/api/v2/me", "", 200, `{"statusCode":0,"user":{"id":"u2","userName":"agent2","roles":["ROLE_AGENT"]}}`), "agent2", "s2"),
		as(s.bayeux(ms(30), ms(5), `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`,
			`[{"channel":"/meta/handshake","successful":true,"clientId":"c2","version":"1.0","supportedConnectionTypes":["long-polling"],"advice":{"timeout":30000}}]`), "agent2", "s2"),
		as(s.bayeux(ms(40), ms(5), `[{"channel":"/meta/subscribe","clientId":"c2","subscription":"/v2/me/**"}]`,
			`[{"channel":"/meta/subscribe","successful":true,"subscription":"/v2/me/**"}]`), "agent2", "s2"),
		s.rest(ms(100), ms(20), "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply),
		s.bayeux(ms(50), ms(100), connectReq, connect(pulled)),
		s.rest(ms(200), ms(10), "POST", "/api/v2/me/workitems/x1", `{"operationName":"Transfer","targetUri":"http://gws.example/api/v2/users/u2"}`, 200, `{"statusCode":0,"referenceId":8}`),
		as(s.rest(ms(300), ms(10), "POST", "/api/v2/me/workitems/x1", `{"operationName":"Accept"}`, 200, `{"statusCode":0,"referenceId":7}`), "agent2", "s2"),
		as(s.bayeux(ms(60), ms(300), `[{"channel":"/meta/connect","clientId":"c2","connectionType":"long-polling"}]`,
			connect(`{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","referenceId":7,
		"workitem":{"id":"x1","state":"Processing","capabilities":["Transfer","AttachUserData","UpdateUserData","DeleteUserData","SetInFocus","Complete"],"workitemType":"Inbound","receivedDate":"2016-04-08 15:01:05.000+0300","userData":{}}}}`)), "agent2", "s2"),
	)
	s.k.Finish(t0.Add(time.Minute))
	if n := s.rules()[conformance.RuleIsolation]; n != 0 {
		t.Fatalf("%d D9.isolation findings for the transferee's own notification: %+v", n, s.k.Result().Findings)
	}
}
