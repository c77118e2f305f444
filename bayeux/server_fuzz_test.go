package bayeux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// FuzzDecodeMessages: any input either fails with ErrBadJSON or decodes to at least one
// message whose encoding is stable (encode∘decode∘encode = encode).
func FuzzDecodeMessages(f *testing.F) {
	for _, seed := range []string{
		srvHandshakeJSON,
		`{"channel":"/meta/connect","clientId":"abc","connectionType":"long-polling","advice":{"timeout":0}}`,
		`[{"channel":"/meta/subscribe","clientId":"a","subscription":["/a/*","/b/**"],"id":"2"}]`,
		`[{"channel":"/a","data":{"x":[1,2,{"y":null}]},"ext":{"ack":true}}]`,
		`[{"channel":"/a","successful":true,"advice":{"reconnect":"retry","interval":0,"multiple-clients":true}}]`,
		`[]`, `null`, `[{"channel":5}]`, `{"subscription":"x"}`, ` [ {} ] `, `[{"data":"\u00e9\ud800"}]`,
		`[{"channel":"/a","id":7},{"channel":"/b","id":-0.5e-3},{"channel":"/c","id":1,"id":"x"},{"id":true}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, err := DecodeMessages(in)
		if err != nil {
			if ms != nil {
				t.Fatalf("error %v with messages %v", err, ms)
			}
			return
		}
		if len(ms) == 0 && bytes.TrimSpace(in)[0] == '{' {
			t.Fatal("a bare object decoded to no message")
		}
		once, err := json.Marshal(ms)
		if err != nil {
			t.Fatalf("encoding decoded messages: %v", err)
		}
		// The reflection-free encoder (the server's) gives valid JSON, and what
		// encoding/json gives for the struct once compacted the same way.
		ptrs := make([]*Message, len(ms))
		for i := range ms {
			ptrs[i] = &ms[i]
			if ms[i].idNumber {
				continue
			}
			want, err := json.Marshal(msgPlain(ms[i]))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(ms[i]); !bytes.Equal(got, want) {
				t.Fatalf("encoder differs from encoding/json:\n got %s\nwant %s", got, want)
			}
		}
		if direct := appendMessages(nil, ptrs); !json.Valid(direct) {
			t.Fatalf("appendMessages gave invalid JSON: %s", direct)
		}
		again, err := DecodeMessages(once)
		if err != nil && len(ms) > 0 {
			t.Fatalf("re-decoding %s: %v", once, err)
		}
		twice, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) > 0 && !bytes.Equal(once, twice) {
			t.Fatalf("unstable encoding:\n%s\n%s", once, twice)
		}
	})
}

var srvFuzzContentTypes = []string{"application/json", "application/json;charset=UTF-8", "text/plain", "application/x-www-form-urlencoded", "text/html", ""}

// FuzzServeHTTP: any body, to a fresh server with one live session (its clientId replaces
// "CLIENT" in the body), gets a valid status and, with 200, a JSON array of messages that
// each name a channel. Never a panic or a hang: connects are not held (timeout 0). When
// ct's high bit is set the request comes from another principal than the session's
// (Options.Identify): then the session must come out unchanged and none of its events
// may reach the reply.
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []string{
		srvHandshakeJSON,
		`[{"channel":"/meta/connect","clientId":"CLIENT","connectionType":"long-polling"}]`,
		`[{"channel":"/meta/subscribe","clientId":"CLIENT","subscription":["/a/*","/b/**"],"id":"2"},{"channel":"/a/x","clientId":"CLIENT","data":1}]`,
		`[{"channel":"/meta/connect","clientId":"CLIENT","advice":{"timeout":100}},{"channel":"/b/c/d","clientId":"CLIENT","data":{}}]`,
		`[{"channel":"/meta/unsubscribe","clientId":"CLIENT","subscription":"/**"},{"channel":"/meta/disconnect","clientId":"CLIENT"},{"channel":"/meta/connect","clientId":"CLIENT"}]`,
		`{"channel":"/service/x","clientId":"CLIENT","data":null,"ext":{"a":1}}`,
		`[{"channel":"/meta/foo","clientId":"CLIENT"},{"channel":"/x/*","clientId":"CLIENT","data":1},{"clientId":"CLIENT"}]`,
		`message=%5B%7B%22channel%22%3A%22%2Fa%22%2C%22clientId%22%3A%22CLIENT%22%2C%22data%22%3A1%7D%5D`,
		`[{"channel":"/meta/handshake"},{"channel":"/meta/connect"}]`,
		`[{"channel":"/meta/subscribe","clientId":"CLIENT","subscription":"/q","id":1},{"channel":"/meta/connect","clientId":"CLIENT","id":2e0}]`,
		`[{"channel":`, `[]`, ``,
	} {
		f.Add(uint8(0), []byte(seed))
		f.Add(uint8(3), []byte(seed))
		f.Add(uint8(0x80), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		srv := NewServer(Options{Clock: NewFakeClock(time.Unix(0, 0)), MaxBodyBytes: 64 << 10,
			Authenticate: func(r *http.Request, _ *Message) (string, error) { return srvUserOf(r) },
			Identify:     srvUserOf})
		srv.SetTimings(0, 0, time.Hour)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/cometd/handshake", bytes.NewReader([]byte(srvHandshakeJSON)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "owner")
		srv.ServeHTTP(rec, req)
		var hs []Message
		if err := json.Unmarshal(rec.Body.Bytes(), &hs); err != nil || len(hs) != 1 || hs[0].ClientID == "" {
			t.Fatalf("handshake: %s", rec.Body.Bytes())
		}
		id := hs[0].ClientID
		intruder := ct&0x80 != 0
		rec = httptest.NewRecorder()
		req = httptest.NewRequest(http.MethodPost, "/cometd/", bytes.NewReader(
			[]byte(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/queued"}]`, id))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "owner")
		srv.ServeHTTP(rec, req)
		if _, err := srv.Publish("/queued", 1); err != nil {
			t.Fatal(err)
		}
		before, _ := srv.Session(id)
		body = bytes.ReplaceAll(body, []byte("CLIENT"), []byte(id))

		rec = httptest.NewRecorder()
		req = httptest.NewRequest(http.MethodPost, "/cometd/", bytes.NewReader(body))
		if c := srvFuzzContentTypes[int(ct&0x7f)%len(srvFuzzContentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		req.Header.Set("X-User", "owner")
		if intruder {
			req.Header.Set("X-User", "intruder")
		}
		srv.ServeHTTP(rec, req)
		if intruder {
			after, ok := srv.Session(id)
			if !ok || !slices.Equal(after.Subscriptions, before.Subscriptions) || after.QueueLen != before.QueueLen || after.LastConnect != before.LastConnect {
				t.Fatalf("another principal's request changed the session: %+v → %+v (present %v)", before, after, ok)
			}
			if bytes.Contains(rec.Body.Bytes(), []byte(`"/queued"`)) && !bytes.Contains(body, []byte(`/queued`)) {
				t.Fatalf("the session's event reached another principal: %s", rec.Body.Bytes())
			}
		}
		switch rec.Code {
		case http.StatusOK:
			var replies []map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &replies); err != nil || len(replies) == 0 {
				t.Fatalf("200 with %q: %v", rec.Body.Bytes(), err)
			}
			for _, r := range replies {
				if _, ok := r["channel"].(string); !ok {
					t.Fatalf("reply without a channel: %s", rec.Body.Bytes())
				}
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		for _, si := range srv.Sessions() {
			if si.ConnectHeld {
				t.Fatalf("a connect is still held after the reply: %+v", si)
			}
		}
	})
}
