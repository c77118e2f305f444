package bayeux

import (
	"encoding/json"
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
