package conformance

import (
	"net/http"
	"strings"
	"testing"
)

func TestMasker(t *testing.T) {
	m := NewMasker([]Credentials{{User: "alice", Password: "hunter2!"}, {User: "bob", Password: "pw"}}, "admin-token-xyz")
	for _, c := range []struct{ in, want string }{
		{"Authorization: Basic YWxpY2U6aHVudGVyMiE=", "Authorization: " + Masked},
		{"  > authorization: Bearer abc.def", "  > authorization: " + Masked},
		{"Cookie: JSESSIONID=abc123; BAYEUX_BROWSER=zz9", "Cookie: JSESSIONID=" + Masked + "; BAYEUX_BROWSER=" + Masked},
		{"Set-Cookie: JSESSIONID=abc123; Path=/; HttpOnly", "Set-Cookie: JSESSIONID=" + Masked + "; Path=/; HttpOnly"},
		{"X-CSRF-TOKEN: 0f0e-11", "X-CSRF-TOKEN: " + Masked},
		{`header map[Authorization:[Basic YWxpY2U6cHc=]]`, `header map[Authorization:[Basic ` + Masked + `]]`},
		{"sent JSESSIONID=abc123 again", "sent JSESSIONID=" + Masked + " again"},
		{`{"password":"x\"y","user":"alice"}`, `{"password":"` + Masked + `","user":"alice"}`},
		{"the password is hunter2! really", "the password is " + Masked + " really"},
		{"token admin-token-xyz", "token " + Masked},
		{"https://alice:hunter2!@gws.example/api", "https://alice:" + Masked + "@gws.example/api"},
		// A two-letter password is not blanked out of ordinary text ("pw" in "pwd").
		{"cd pwd", "cd pwd"},
		{"nothing secret here", "nothing secret here"},
	} {
		if got := m.String(c.in); got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	h := m.Header(http.Header{
		"Authorization": {"Basic YWxpY2U6aHVudGVyMiE="}, "Cookie": {"JSESSIONID=abc; x=1"},
		"Set-Cookie": {"JSESSIONID=abc; Path=/"}, "X-Csrf-Token": {"tok"}, "X-Csrf-Header": {"X-CSRF-TOKEN"}, "X-Note": {"hunter2!"},
	})
	for k, want := range map[string]string{
		"Authorization": Masked, "Cookie": "JSESSIONID=" + Masked + "; x=" + Masked, "Set-Cookie": "JSESSIONID=" + Masked + "; Path=/",
		"X-Csrf-Token": Masked, "X-Csrf-Header": "X-CSRF-TOKEN", "X-Note": Masked,
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s: %q, want %q", k, got, want)
		}
	}
	if got := m.Header(http.Header{"X-Csrf-Token": {""}}).Get("X-Csrf-Token"); got != "" {
		t.Errorf("an empty token stays empty (the csrf spec tells absent from present): %q", got)
	}
	var nilMasker *Masker
	if nilMasker.String("a") != "a" {
		t.Error("nil masker")
	}
}

// TestBasicCredentialsMasked: the base64 of user:password is masked even inline.
func TestBasicCredentialsMasked(t *testing.T) {
	m := NewMasker([]Credentials{{User: "MaratTest", Password: "MaratTest"}})
	s := m.String("curl -H 'Authorization:Basic TWFyYXRUZXN0Ok1hcmF0VGVzdA==' …; pw MaratTest")
	if strings.Contains(s, "TWFyYXRUZXN0Ok1hcmF0VGVzdA==") || strings.Contains(s, "MaratTest") {
		t.Errorf("not masked: %q", s)
	}
}
