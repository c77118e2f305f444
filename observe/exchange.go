package observe

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Exchange is one HTTP request and its response, as the proxy saw it pass or a HAR entry
// recorded it. Observe reads it and keeps nothing of it but what the checks need.
type Exchange struct {
	// Seq numbers exchanges in the order they started (1, 2, …); findings name it.
	Seq      int64
	Start    time.Time
	Duration time.Duration // from the request's start to the response's end
	Method   string
	URL      *url.URL
	// RequestHeader and ResponseHeader are canonical (http.Header).
	RequestHeader http.Header
	RequestBody   []byte
	// Status is 0 when no response came (the upstream failed, the client went away, or the
	// capture ended first).
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
	// Incomplete says why a body is missing or cut (too large for the proxy's bound, a
	// capture saved without content); the bodies are then not judged.
	Incomplete string
}

// End is when the response ended.
func (e *Exchange) End() time.Time { return e.Start.Add(e.Duration) }

// path is the URL path ("" without a URL).
func (e *Exchange) path() string {
	if e.URL == nil {
		return ""
	}
	return e.URL.Path
}

// kind is how an exchange is judged.
type kind int

const (
	kindREST   kind = iota // a path under the REST base
	kindCometD             // the Bayeux endpoint and its sub-paths
	kindAdmin              // the mock's control plane
	kindOther              // passed through, not judged
)

func classify(e *Exchange) kind {
	p := e.path()
	switch {
	case p == spec.CometDPath || strings.HasPrefix(p, spec.CometDPath+"/"):
		return kindCometD
	case p == spec.BasePath || strings.HasPrefix(p, spec.BasePath+"/"):
		return kindREST
	case p == spec.AdminBasePath || strings.HasPrefix(p, spec.AdminBasePath+"/"):
		return kindAdmin
	}
	return kindOther
}

// passName names a passed-through exchange for the report: its method and the first two
// segments of its path ("GET /favicon.ico", "POST /api/v2/me/calls/…").
func passName(e *Exchange) string {
	p := e.path()
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	keep := 2
	if strings.HasPrefix(p, spec.BasePath+"/") {
		keep = 4 // /api/v2/<resource>/…
	}
	name := "/" + strings.Join(segs[:min(keep, len(segs))], "/")
	if len(segs) > keep {
		name += "/…"
	}
	return e.Method + " " + name
}

func cookieValue(h http.Header, name string) string {
	for _, line := range h.Values("Cookie") {
		cs, err := http.ParseCookie(line)
		if err != nil {
			// One bad pair makes ParseCookie refuse the line; read pairs one by one.
			for _, part := range strings.Split(line, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
				if ok && k == name {
					return v
				}
			}
			continue
		}
		for _, c := range cs {
			if c.Name == name {
				return c.Value
			}
		}
	}
	return ""
}

func setCookieValue(h http.Header, name string) string {
	for _, line := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name && c.MaxAge >= 0 && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// basicUser returns the user name of HTTP Basic credentials.
func basicUser(h http.Header) (string, bool) {
	r := http.Request{Header: h}
	u, _, ok := r.BasicAuth()
	return u, ok
}
