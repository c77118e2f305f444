package bayeux

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, channel string
		want             bool
	}{
		{"/foo/bar", "/foo/bar", true},
		{"/foo/bar", "/foo/baz", false},
		{"/foo/*", "/foo/bar", true},
		{"/foo/*", "/foo", false},
		{"/foo/*", "/foo/bar/baz", false},
		{"/foo/*", "/foobar", false},
		{"/foo/**", "/foo/bar", true},
		{"/foo/**", "/foo/bar/baz", true},
		{"/foo/**", "/foo", false},
		{"/foo/**", "/foobar/baz", false},
		{"/v2/me/*", "/v2/me/workitems", true},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.channel); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.channel, got, c.want)
		}
	}
}

func TestValidChannel(t *testing.T) {
	good := []string{"/a", "/v2/me/workitems", "/foo/*", "/foo/**", "/meta/connect", "/a-b_c/d!~()$@"}
	bad := []string{"", "/", "a/b", "//a", "/a//b", "/a/", "/*/a", "/a/**/b", "/a b", "/a/é"}
	for _, c := range good {
		if !ValidChannel(c) {
			t.Errorf("ValidChannel(%q) = false", c)
		}
	}
	for _, c := range bad {
		if ValidChannel(c) {
			t.Errorf("ValidChannel(%q) = true", c)
		}
	}
}

func TestSubscriptionEchoesForm(t *testing.T) {
	for _, in := range []string{`{"channel":"/meta/subscribe","subscription":"/a"}`, `{"channel":"/meta/subscribe","subscription":["/a","/b"]}`, `{"channel":"/meta/subscribe","subscription":["/a"]}`} {
		ms, err := DecodeMessages([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(ms[0])
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("round trip: got %s, want %s", out, in)
		}
	}
	out, _ := json.Marshal(Message{Channel: "/a"})
	if string(out) != `{"channel":"/a"}` {
		t.Errorf("empty subscription not omitted: %s", out)
	}
}

func TestDecodeMessagesRejectsBadJSON(t *testing.T) {
	for _, in := range []string{"", "null", "[", "42", `"x"`, `[1]`, `{"channel":5}`} {
		if _, err := DecodeMessages([]byte(in)); err == nil {
			t.Errorf("DecodeMessages(%q): no error", in)
		}
	}
}

func TestMessageIDStringOrNumber(t *testing.T) {
	cases := []struct {
		in, id string // in: a message; id: the ID read
		out    string // the message encoded again
	}{
		{`{"channel":"/a","id":"7"}`, "7", `{"channel":"/a","id":"7"}`},
		{`{"channel":"/a","id":7}`, "7", `{"channel":"/a","id":7}`},
		{`{"channel":"/a","id":-1.5e3}`, "-1.5e3", `{"channel":"/a","id":-1.5e3}`},
		{`{"id":12,"channel":"/a","data":{"id":"x"}}`, "12", `{"channel":"/a","id":12,"data":{"id":"x"}}`},
		{`{"channel":"/a","id":null}`, "", `{"channel":"/a"}`},
		{`{"channel":"/a","id":1,"id":"s"}`, "s", `{"channel":"/a","id":"s"}`}, // the last key wins, as in encoding/json
	}
	for _, c := range cases {
		ms, err := DecodeMessages([]byte(c.in))
		if err != nil {
			t.Errorf("DecodeMessages(%s): %v", c.in, err)
			continue
		}
		if ms[0].ID != c.id {
			t.Errorf("DecodeMessages(%s).ID = %q, want %q", c.in, ms[0].ID, c.id)
		}
		out, err := json.Marshal(ms[0])
		if err != nil || string(out) != c.out {
			t.Errorf("encode(%s) = %s, %v; want %s", c.in, out, err, c.out)
		}
	}
	// A reply copies the form; a plain ID assignment is a string.
	ms, err := DecodeMessages([]byte(`[{"channel":"/meta/connect","id":42}]`))
	if err != nil {
		t.Fatal(err)
	}
	var reply Message
	reply.Channel = MetaConnect
	reply.CopyID(&ms[0])
	if out, _ := json.Marshal(&reply); string(out) != `{"channel":"/meta/connect","id":42}` {
		t.Errorf("reply = %s", out)
	}
	if out, _ := json.Marshal(Message{Channel: "/a", ID: "42"}); string(out) != `{"channel":"/a","id":"42"}` {
		t.Errorf("string id = %s", out)
	}
	// Other id types, and other bad fields next to a numeric id, are still errors.
	for _, in := range []string{`{"channel":"/a","id":true}`, `{"channel":"/a","id":{}}`, `{"channel":"/a","id":[1]}`,
		`{"id":1,"channel":5}`, `{"channel":5,"id":1}`, `[{"id":1,"advice":{"timeout":"x"}}]`} {
		if ms, err := DecodeMessages([]byte(in)); err == nil || !errors.Is(err, ErrBadJSON) {
			t.Errorf("DecodeMessages(%s) = %+v, %v; want ErrBadJSON", in, ms, err)
		}
	}
}

// The reflection-free encoder writes what encoding/json writes for the struct.
func TestAppendMessageMatchesEncodingJSON(t *testing.T) {
	weird := "a\"b\\c\n\r\t\b\f\x01\x1f<>&\u2028\u2029é\xff\xfe世"
	msgs := []Message{
		{},
		{Channel: "/a"},
		{Channel: weird, ID: weird, ClientID: weird, Error: weird, Version: weird, MinimumVersion: weird,
			ConnectionType: weird, Timestamp: weird, SupportedConnectionTypes: []string{weird, ""}},
		{Channel: "/meta/connect", ID: "1", Successful: new(true), Advice: &Advice{}},
		{Channel: "/meta/connect", Successful: new(false), Advice: &Advice{Reconnect: "retry", Timeout: new(int64(0)),
			Interval: new(int64(-5)), MaxInterval: new(int64(1 << 62)), MultipleClients: true}},
		{Channel: "/meta/connect", Advice: &Advice{MultipleClients: true}},
		{Channel: "/meta/connect", Advice: &Advice{Interval: new(int64(7))}},
		{Channel: "/x", Data: json.RawMessage(`{"a":[1,2,{"b":null}],"c":"d"}`), Ext: json.RawMessage(`{"ack":true}`)},
		{Channel: "/meta/subscribe", Subscription: NewSubscription("/a")},
		{Channel: "/meta/subscribe", Subscription: NewSubscription("/a", "/b/**")},
		{Channel: "/meta/subscribe", Subscription: NewSubscription()},
		{Channel: "/meta/subscribe", Subscription: Subscription{Channels: []string{"/a"}, array: true}},
		{Channel: "/meta/subscribe", Subscription: Subscription{Channels: []string{}}},
		{Channel: "/meta/handshake", SupportedConnectionTypes: []string{}},
	}
	for _, m := range msgs {
		want, err := json.Marshal(msgPlain(m))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendMessage(nil, &m); string(got) != string(want) {
			t.Errorf("appendMessage:\n got %s\nwant %s", got, want)
		}
		if got, err := json.Marshal(m); err != nil || string(got) != string(want) {
			t.Errorf("json.Marshal:\n got %s, %v\nwant %s", got, err, want)
		}
	}
	ptrs := []*Message{&msgs[1], &msgs[3]}
	if got, want := appendMessages(nil, ptrs), `[{"channel":"/a"},{"channel":"/meta/connect","id":"1","advice":{},"successful":true}]`; string(got) != want {
		t.Errorf("appendMessages = %s, want %s", got, want)
	}
	// A numeric id that is not a number (set by hand after CopyID) is written as a string.
	m := Message{Channel: "/a", ID: "1", idNumber: true}
	m.ID = "1 }"
	if got := appendMessage(nil, &m); string(got) != `{"channel":"/a","id":"1 }"}` {
		t.Errorf("stale numeric id: %s", got)
	}
}

func TestJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "12", "-1.5e3", "1E+2", "0.25", "1e-7"} {
		if !jsonNumber(s) {
			t.Errorf("jsonNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x1", "1 ", "NaN", "1.2.3"} {
		if jsonNumber(s) {
			t.Errorf("jsonNumber(%q) = true", s)
		}
	}
}
