package bayeux

import (
	"errors"
	"io"
	"testing"
	"time"
)

func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		"401::No client ID", "402::Unknown client", "402::session_unknown", "403::handshake_denied",
		"401:abc123:Unknown client", "403:xj3s,/foo/bar:Subscription denied", "405:/foo/*:Invalid channel",
		"500::a: b: c", "000::zero", "4o1::x", "401", "401:", ":::", "", "Unknown client", "403:,,:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseError(s)
		if err != nil {
			if e != nil || !errors.Is(err, ErrBadErrorString) {
				t.Fatalf("ParseError(%q) = %v, %v", s, e, err)
			}
			return
		}
		if e.Code < 1 || e.Code > 999 {
			t.Fatalf("ParseError(%q): code %d", s, e.Code)
		}
		if e.String() != s {
			t.Fatalf("ParseError(%q).String() = %q", s, e.String())
		}
		_ = e.Error()
	})
}

// FuzzDecodeReply feeds arbitrary reply bodies through what the client does with a reply:
// decode, pair with requests, read errors, record and print. Nothing may panic; a body
// either decodes into messages that all have a channel, or gives an ErrBadReply.
func FuzzDecodeReply(f *testing.F) {
	for _, s := range []string{
		`[{"id":"1","channel":"/meta/handshake","successful":true,"version":"1.0","supportedConnectionTypes":["long-polling"],"clientId":"abc","advice":{"reconnect":"retry","interval":0,"timeout":5000}}]`,
		`[{"id":"5","clientId":"abc","channel":"/meta/connect","successful":true,"advice":{"reconnect":"retry","interval":0,"timeout":5000}},{"channel":"/chat/go","id":"4","data":{"text":"hello"}}]`,
		`[{"channel":"/meta/connect","successful":false,"error":"401:bogus:Unknown client","advice":{"reconnect":"handshake"}}]`,
		`[{"id":"2","channel":"/meta/subscribe","successful":true,"subscription":["/a","/b/*"]},{"channel":"/a","data":1}]`,
		`{"channel":"/meta/connect","successful":true}`,
		`[{"channel":"/x","successful":true},{"channel":"/x","data":null}]`,
		`[{"channel":"/meta/connect","advice":{"timeout":-1,"interval":"x"}}]`,
		`[null]`, `[]`, `{}`, `null`, `[{"successful":true}]`, `<html>`, ``, `[{"channel":"/a","data":{"password":"p"}}]`,
	} {
		f.Add([]byte(s))
	}
	reqs := []Message{
		{Channel: MetaConnect, ID: "5"}, {Channel: MetaSubscribe, ID: "2"}, {Channel: MetaSubscribe}, {Channel: "/x", ID: "9"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := clientDecodeReply(body)
		if err != nil {
			if !errors.Is(err, ErrBadReply) {
				t.Fatalf("decodeReply: %v does not wrap ErrBadReply", err)
			}
		} else {
			for i := range ms {
				if ms[i].Channel == "" {
					t.Fatalf("message %d without channel accepted", i)
				}
				if !ms[i].IsSuccessful() {
					_ = clientReplyError(&ms[i]).Error()
				}
				_ = clientIsEvent(&ms[i])
			}
			for _, r := range clientFindReplies(ms, reqs) {
				if r != nil && r.Channel == "" {
					t.Fatal("paired with a message without channel")
				}
			}
		}
		rec := NewRecorder(Redaction{ClientID: true})
		seq := rec.begin(Entry{Sent: time.Unix(0, 0), Method: "POST", URL: "http://127.0.0.1/cometd", RequestBody: body})
		rec.end(seq, time.Unix(1, 0), 200, nil, body, err)
		if err := rec.WriteTranscript(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}
