package mockserver

import (
	"crypto/subtle"
	"io"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/workbinkit/workbinkit/docs"
	"github.com/workbinkit/workbinkit/mockserver/ui"
)

// The dashboard: the page (package ui) at /_mock/ui/, which reads GET /_mock/events
// (dashboard_events.go) and steers the mock through the rest of the control plane.

// DashboardPath is where the mock serves its dashboard.
const DashboardPath = "/_mock/ui/"

// dashboardCSP lets the page load its own files and talk to its own origin only: no
// external request can leave it, whatever a journaled body holds.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// isDashboardFile reports whether r asks for one of the dashboard's files. They hold no
// data (every datum comes from the control plane, under its protections), so with an admin
// token they are served without it: a browser cannot send a Bearer token when it opens a
// page, and the page then sends the token on each of its calls.
func isDashboardFile(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && path.Clean(p) == strings.TrimSuffix(p, "/") &&
		strings.HasPrefix(p, DashboardPath)
}

// dashboardOrigin reports whether a request with this Origin comes from the mock's own
// pages (the dashboard): a browser sends Origin on a same-origin POST, PUT or DELETE too.
// Same-origin alone proves nothing under DNS rebinding (evil.example resolved to 127.0.0.1
// is same-origin with the mock), so the Host must also be a loopback name or IP, which a
// rebinding page cannot send, or the request must carry the admin token, which it cannot
// know.
func (s *Server) dashboardOrigin(r *http.Request, origin string) bool {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	if r.Host == "" || !strings.EqualFold(origin, scheme+r.Host) {
		return false
	}
	// The same loopback notion as the Host rule (hostAllowed): a page that loads under
	// app.localhost may also steer.
	if host, _ := splitHost(r.Host); isLoopbackHost(host) {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AdminToken)) == 1
}

// dashboardFiles serves the page's files, and docs/rules.md beside them (the rule links of
// the journal open it, offline). It does not use http.FileServer, which answers
// .../index.html with a redirect to ./ (the mock never redirects): the page is both / and
// /index.html, any other name that is not a file is 404.
func (s *Server) dashboardFiles() http.Handler {
	files := ui.Files()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", dashboardCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		name := strings.TrimPrefix(r.URL.Path, DashboardPath)
		if name == docs.RulesFile {
			h.Set("Content-Type", "text/markdown; charset=utf-8")
			_, _ = io.WriteString(w, docs.Rules())
			return
		}
		if name == "" {
			name = "index.html"
		}
		if !serveDashboardFile(w, r, files, name) {
			// text/plain, as spec/mock-admin.yaml says of this 404
			http.Error(w, "no dashboard file "+r.URL.Path+"; the dashboard is at "+DashboardPath, http.StatusNotFound)
		}
	})
}

// serveDashboardFile answers with one regular file of files, and reports false when name is
// not one (a directory, a name with a trailing slash, a missing file).
func serveDashboardFile(w http.ResponseWriter, r *http.Request, files fs.FS, name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	f, err := files.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return false // embedded files seek; anything else is not a dashboard file
	}
	http.ServeContent(w, r, name, info.ModTime(), rs)
	return true
}

// dashboardHub wakes the dashboards' event streams. Its zero value is ready; with no stream
// open, each of its calls on the request path is one atomic load.
type dashboardHub struct {
	mu      sync.Mutex
	streams atomic.Pointer[[]*dashStream] // replaced under mu, read without it
	// stateGen counts the state's changes; a stream renders the state again when it moved.
	stateGen atomic.Uint64
	closed   atomic.Bool

	once     sync.Once
	instance string
	rules    map[string]string
}

// dashStream is one open event stream: wake holds at most one pending wake-up.
type dashStream struct {
	wake chan struct{}
}

func (h *dashboardHub) join() *dashStream {
	st := &dashStream{wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	var next []*dashStream
	if cur := h.streams.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, st)
	h.streams.Store(&next)
	return st
}

func (h *dashboardHub) leave(st *dashStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.streams.Load()
	if cur == nil {
		return
	}
	next := make([]*dashStream, 0, len(*cur))
	for _, x := range *cur {
		if x != st {
			next = append(next, x)
		}
	}
	if len(next) == 0 {
		h.streams.Store(nil)
		return
	}
	h.streams.Store(&next)
}

// wake tells every stream that something changed; a stream with a wake-up pending is not
// told twice.
func (h *dashboardHub) wake() {
	list := h.streams.Load()
	if list == nil {
		return
	}
	for _, st := range *list {
		select {
		case st.wake <- struct{}{}:
		default:
		}
	}
}

// journalAdded is the journal's hook: an entry was added.
func (h *dashboardHub) journalAdded() { h.wake() }

// stateChanged follows every change of the domain state.
func (h *dashboardHub) stateChanged() {
	if h.streams.Load() == nil {
		return // a stream renders the state when it opens
	}
	h.stateGen.Add(1)
	h.wake()
}

// shutdown ends every stream (Server.Shutdown), so that an http.Server or httptest.Server
// does not wait on them.
func (h *dashboardHub) shutdown() {
	h.closed.Store(true)
	h.wake()
}

// afterAdmin wraps the control plane: a request that may change something (anything but a
// GET) wakes the streams once it is served, so that a switch turned by any client shows at
// once.
func (h *dashboardHub) afterAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.stateChanged()
		}
	})
}

// ruleAnchor reads the anchors of docs/rules.md: `### <a id="D8.csrf"></a>D8.csrf — title`.
var ruleAnchor = regexp.MustCompile(`(?m)^#+ <a id="([^"]+)"></a>\S+ — (.+)$`)

// setup draws the instance id (a page tells a restarted mock by it) and reads the rules'
// titles, once.
func (h *dashboardHub) setup() {
	h.once.Do(func() {
		h.instance = newUUID()
		h.rules = map[string]string{}
		for _, m := range ruleAnchor.FindAllStringSubmatch(docs.Rules(), -1) {
			h.rules[m[1]] = strings.TrimSpace(m[2])
		}
	})
}
