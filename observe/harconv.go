package observe

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/workbinkit/workbinkit/har"
)

// FromHAR turns a HAR entry into an Exchange. HTTP/2 pseudo-headers are dropped; a Cookie
// or Set-Cookie header the capture lists only in its cookies arrays is rebuilt from them.
func FromHAR(e *har.Entry, seq int64) (*Exchange, error) {
	start, err := e.Started()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return nil, fmt.Errorf("request.url %q: %w", e.Request.URL, err)
	}
	ex := &Exchange{
		Seq: seq, Start: start, Duration: e.Duration(), Method: strings.ToUpper(e.Request.Method), URL: u,
		RequestHeader: headerOf(e.Request.Headers), Status: e.Response.Status, ResponseHeader: headerOf(e.Response.Headers),
	}
	if ex.RequestHeader.Get("Cookie") == "" && len(e.Request.Cookies) > 0 {
		pairs := make([]string, len(e.Request.Cookies))
		for i, c := range e.Request.Cookies {
			pairs[i] = c.Name + "=" + c.Value
		}
		ex.RequestHeader.Set("Cookie", strings.Join(pairs, "; "))
	}
	if len(ex.ResponseHeader.Values("Set-Cookie")) == 0 {
		for _, c := range e.Response.Cookies {
			ex.ResponseHeader.Add("Set-Cookie", (&http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path}).String())
		}
	}
	if pd := e.Request.PostData; pd != nil {
		switch {
		case pd.Text != "":
			ex.RequestBody = []byte(pd.Text)
		case len(pd.Params) > 0:
			v := url.Values{}
			for _, p := range pd.Params {
				v.Add(p.Name, p.Value)
			}
			ex.RequestBody = []byte(v.Encode())
		}
		if ex.RequestHeader.Get("Content-Type") == "" && pd.MimeType != "" {
			ex.RequestHeader.Set("Content-Type", pd.MimeType)
		}
	}
	if ex.Status > 0 {
		body, err := e.Response.Content.Body()
		if err != nil {
			return nil, err
		}
		ex.ResponseBody = body
		// A browser leaves the text out of a body the page never read (size -1 or the
		// real size): unknown, not empty.
		if len(body) == 0 && (e.Response.Content.Size != 0 || (ex.ResponseHeader.Get("Content-Length") != "" && ex.ResponseHeader.Get("Content-Length") != "0")) {
			ex.Incomplete = "the capture holds no response body"
		}
		if ex.ResponseHeader.Get("Content-Type") == "" && e.Response.Content.MimeType != "" && len(body) > 0 {
			ex.ResponseHeader.Set("Content-Type", e.Response.Content.MimeType)
		}
	}
	return ex, nil
}

func headerOf(nvs []har.NameValue) http.Header {
	h := make(http.Header, len(nvs))
	for _, nv := range nvs {
		if strings.HasPrefix(nv.Name, ":") {
			continue
		}
		h.Add(nv.Name, nv.Value)
	}
	return h
}

// Pseudonyms replaces secrets in recorded headers by stable stand-ins: the same secret
// gives the same stand-in within one recording (an HMAC under a key drawn for it), so a
// recorded capture still shows which requests share a session, a CSRF token or a CometD
// browser cookie, while the values themselves cannot be recovered. Basic credentials keep
// their user name and lose their password. A nil *Pseudonyms keeps every value.
type Pseudonyms struct {
	key [32]byte
}

// NewPseudonyms draws a fresh key.
func NewPseudonyms() *Pseudonyms {
	p := &Pseudonyms{}
	_, _ = rand.Read(p.key[:]) // crypto/rand.Read never fails (Go 1.24+)
	return p
}

// Masked is what a password becomes in a recording.
const Masked = "***"

// of returns the stand-in of a secret.
func (p *Pseudonyms) of(secret string) string {
	m := hmac.New(sha256.New, p.key[:])
	m.Write([]byte(secret))
	return "masked-" + hex.EncodeToString(m.Sum(nil)[:8])
}

// Header returns h with secrets replaced (h itself when p is nil).
func (p *Pseudonyms) Header(h http.Header) http.Header {
	if p == nil {
		return h
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			switch http.CanonicalHeaderKey(k) {
			case "Authorization", "Proxy-Authorization":
				v = p.authorization(v)
			case "Cookie":
				v = p.cookieLine(v)
			case "Set-Cookie":
				v = p.setCookie(v)
			case "X-Csrf-Token":
				v = p.of(v)
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}

func (p *Pseudonyms) authorization(v string) string {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return Masked
	}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
			if user, _, ok := strings.Cut(string(raw), ":"); ok {
				return scheme + " " + base64.StdEncoding.EncodeToString([]byte(user+":"+Masked))
			}
		}
		return scheme + " " + Masked
	}
	return scheme + " " + p.of(cred)
}

func (p *Pseudonyms) cookieLine(v string) string {
	parts := strings.Split(v, ";")
	for i, part := range parts {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		parts[i] = " " + k + "=" + p.of(val)
	}
	return strings.TrimSpace(strings.Join(parts, ";"))
}

func (p *Pseudonyms) setCookie(v string) string {
	head, attrs, _ := strings.Cut(v, ";")
	k, val, ok := strings.Cut(head, "=")
	if !ok {
		return v
	}
	if val != "" {
		val = p.of(strings.TrimSpace(val))
	}
	out := strings.TrimSpace(k) + "=" + val
	if attrs != "" {
		out += ";" + attrs
	}
	return out
}

// ToHAR records an exchange as a HAR entry, with p's stand-ins for secrets (nil: as is).
// Bodies are text when they are UTF-8, base64 otherwise.
func ToHAR(ex *Exchange, p *Pseudonyms) *har.Entry {
	reqH, respH := p.Header(ex.RequestHeader), p.Header(ex.ResponseHeader)
	e := &har.Entry{
		StartedDateTime: ex.Start.UTC().Format(time.RFC3339Nano),
		Time:            float64(ex.Duration) / float64(time.Millisecond),
		Timings:         har.Timings{Send: 0, Wait: float64(ex.Duration) / float64(time.Millisecond), Receive: 0, Blocked: -1, DNS: -1, Connect: -1, SSL: -1},
		Request: har.Request{
			Method: ex.Method, URL: ex.URL.String(), HTTPVersion: "HTTP/1.1",
			Headers: nameValues(reqH), Cookies: cookiesOf(reqH, "Cookie"), QueryString: queryOf(ex.URL),
			HeadersSize: -1, BodySize: int64(len(ex.RequestBody)),
		},
		Response: har.Response{
			Status: ex.Status, StatusText: http.StatusText(ex.Status), HTTPVersion: "HTTP/1.1",
			Headers: nameValues(respH), Cookies: cookiesOf(respH, "Set-Cookie"), HeadersSize: -1, BodySize: int64(len(ex.ResponseBody)),
			Content: har.Content{Size: int64(len(ex.ResponseBody)), MimeType: ex.ResponseHeader.Get("Content-Type")},
		},
		Comment: ex.Incomplete,
	}
	if ex.Status == 0 {
		e.Response.BodySize = -1
		e.Error = "no response"
		if ex.Incomplete != "" {
			e.Error = ex.Incomplete
		}
	}
	if len(ex.RequestBody) > 0 || ex.Method == http.MethodPost || ex.Method == http.MethodPut || ex.Method == http.MethodPatch {
		e.Request.PostData = &har.PostData{MimeType: ex.RequestHeader.Get("Content-Type"), Text: string(ex.RequestBody)}
		if !utf8.Valid(ex.RequestBody) {
			// HAR has no encoding for request bodies; keep what can be kept.
			e.Request.PostData.Text = strings.ToValidUTF8(string(ex.RequestBody), "\uFFFD")
		}
	}
	if len(ex.ResponseBody) > 0 {
		if utf8.Valid(ex.ResponseBody) {
			e.Response.Content.Text = string(ex.ResponseBody)
		} else {
			e.Response.Content.Text = base64.StdEncoding.EncodeToString(ex.ResponseBody)
			e.Response.Content.Encoding = "base64"
		}
	}
	return e
}

func nameValues(h http.Header) []har.NameValue {
	out := make([]har.NameValue, 0, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, har.NameValue{Name: k, Value: v})
		}
	}
	// A stable order makes recordings comparable.
	sortNameValues(out)
	return out
}

func sortNameValues(nvs []har.NameValue) {
	slices.SortStableFunc(nvs, func(a, b har.NameValue) int { return strings.Compare(a.Name, b.Name) })
}

func cookiesOf(h http.Header, header string) []har.Cookie {
	out := []har.Cookie{}
	for _, line := range h.Values(header) {
		if header == "Set-Cookie" {
			if c, err := http.ParseSetCookie(line); err == nil {
				out = append(out, har.Cookie{Name: c.Name, Value: c.Value, Path: c.Path, HTTPOnly: c.HttpOnly, Secure: c.Secure})
			}
			continue
		}
		for _, part := range strings.Split(line, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				out = append(out, har.Cookie{Name: k, Value: v})
			}
		}
	}
	return out
}

func queryOf(u *url.URL) []har.NameValue {
	out := []har.NameValue{}
	for k, vs := range u.Query() {
		for _, v := range vs {
			out = append(out, har.NameValue{Name: k, Value: v})
		}
	}
	sortNameValues(out)
	return out
}
