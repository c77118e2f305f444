package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

func TestSplitFrames(t *testing.T) {
	cases := []struct {
		name, ct, body string
		channels       []string
		bad            []bool
		err            bool
	}{
		{"array", "application/json", `[{"channel":"/meta/connect","clientId":"a"},{"channel":"/v2/me/workitems","data":{"x":1}}]`, []string{"/meta/connect", "/v2/me/workitems"}, []bool{false, false}, false},
		{"bare object", "application/json", ` {"channel":"/meta/handshake","version":"1.0"} `, []string{"/meta/handshake"}, []bool{false}, false},
		{"form", "application/x-www-form-urlencoded", "message=" + url.QueryEscape(`[{"channel":"/meta/connect"}]`) + "&message=" + url.QueryEscape(`{"channel":"/meta/subscribe"}`), []string{"/meta/connect", "/meta/subscribe"}, []bool{false, false}, false},
		{"not an object", "application/json", `[1, {"channel":"/a"}, {"data":1}]`, []string{"", "/a", ""}, []bool{true, false, true}, false},
		{"empty", "application/json", ``, nil, nil, true},
		{"garbage", "application/json", `hello`, nil, nil, true},
		{"truncated", "application/json", `[{"channel":"/a"}`, nil, nil, true},
		{"form without message", "application/x-www-form-urlencoded", "x=1", nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, err := SplitFrames(c.ct, []byte(c.body))
			if c.err {
				if !errors.Is(err, ErrNotBayeux) {
					t.Fatalf("err = %v, want ErrNotBayeux", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(c.channels) {
				t.Fatalf("%d frames, want %d", len(fs), len(c.channels))
			}
			for i, f := range fs {
				if f.Msg.Channel != c.channels[i] || (f.Err != nil) != c.bad[i] {
					t.Errorf("frame %d: channel %q err %v", i, f.Msg.Channel, f.Err)
				}
			}
		})
	}
}

// FuzzSplitFrames: any body splits or is refused without a panic; every frame is one JSON
// value of the body, in order, so validating frames validates the body.
func FuzzSplitFrames(f *testing.F) {
	for _, s := range []string{`[{"channel":"/meta/connect","clientId":"a","advice":{"timeout":0}}]`, `{"channel":"/x","data":[]}`,
		`[{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage"},"id":7}]`, `[]`, `[1,"a",null]`, `[{"id":{}}]`, `message=%5B%5D`} {
		f.Add("application/json", []byte(s))
	}
	f.Add("application/x-www-form-urlencoded", []byte("message=%7B%22channel%22%3A%22%2Fa%22%7D"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		fs, err := SplitFrames(ct, body)
		if err != nil {
			if !errors.Is(err, ErrNotBayeux) {
				t.Fatalf("error %v is not ErrNotBayeux", err)
			}
			return
		}
		if len(fs) > maxFrames {
			t.Fatalf("%d frames", len(fs))
		}
		for i, fr := range fs {
			if !json.Valid(fr.Raw) {
				t.Fatalf("frame %d is no JSON value: %q", i, fr.Raw)
			}
			if fr.Err == nil && fr.Msg.Channel == "" {
				t.Fatalf("frame %d accepted without a channel", i)
			}
		}
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) && ct == "application/json" {
			var all []json.RawMessage
			if json.Unmarshal(body, &all) != nil || len(all) != len(fs) {
				t.Fatalf("split into %d frames, the array has %d", len(fs), len(all))
			}
			for i := range all {
				if !bytes.Equal(all[i], fs[i].Raw) {
					t.Fatalf("frame %d differs from the array's element", i)
				}
			}
		}
	})
}
