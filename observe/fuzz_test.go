package observe

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

var fuzzContract = sync.OnceValues(spec.Load)

// FuzzObserve: whatever a client and a server exchange, judging it neither panics nor
// hangs, on the REST paths and on the CometD endpoint alike.
func FuzzObserve(f *testing.F) {
	f.Add("POST", "/api/v2/workbins/w1", []byte(`{"operationName":"PullWorkitem","id":"x"}`), 200, []byte(`{"statusCode":0,"referenceId":1}`))
	f.Add("GET", "/api/v2/workbins/w1?subresources=*", []byte(nil), 200, []byte(`{"statusCode":0,"workbin":{"id":"w1","workitems":[{"id":"x","state":"InWorkbin"}]}}`))
	f.Add("POST", "/api/v2/notifications/connect", []byte(`[{"channel":"/meta/connect","clientId":"c","connectionType":"long-polling"}]`),
		200, []byte(`[{"channel":"/meta/connect","successful":true},{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","referenceId":1,"workitem":{"id":"x","state":"Processing"}}}]`))
	f.Add("POST", "/api/v2/notifications/handshake", []byte(`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`),
		200, []byte(`[{"channel":"/meta/handshake","successful":true,"clientId":"c","supportedConnectionTypes":["long-polling"],"advice":{"timeout":0}}]`))
	f.Add("POST", "/_mock/interactions", []byte(`{"workbinId":"w1","media":"workitem"}`), 201, []byte(`{"id":"x","interaction":{"id":"x","userData":{}}}`))
	c, err := fuzzContract()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string, reqBody []byte, status int, respBody []byte) {
		u, err := url.Parse(path)
		if err != nil || len(method) > 16 {
			return
		}
		k := New(c, Options{})
		start := time.Unix(1700000000, 0)
		for i := range 3 { // the same exchange thrice: a second pull, a repeated referenceId…
			ex := &Exchange{Seq: int64(i + 1), Start: start.Add(time.Duration(i) * time.Second), Duration: 10 * time.Millisecond, Method: method, URL: u,
				RequestHeader: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Basic YTph"}}, RequestBody: reqBody,
				Status: status % 600, ResponseHeader: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"JSESSIONID=s1"}}, ResponseBody: respBody}
			k.Observe(ex)
		}
		k.Finish(start.Add(time.Minute))
		_ = k.Result()
	})
}
