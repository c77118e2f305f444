package mockserver

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The control plane (/_mock/…), described by spec/mock-admin.yaml. Its replies are plain
// JSON; errors are {"error": "..."}.

// maxAdminBody bounds control-plane request bodies (fixture bundles can be large).
const maxAdminBody = 32 << 20

// adminAuth guards the control plane against the web pages a browser on this machine may
// show, and against other machines:
//
//   - DNS rebinding: a page of evil.example whose name is made to resolve to 127.0.0.1 is
//     "same-origin" with the mock, so neither CORS nor the Origin check below stops its
//     requests, but they carry Host: evil.example. So the Host must be a loopback name, one
//     of the option allowedHosts, or the request must carry the admin token (a page cannot
//     know it); otherwise 403 naming the Host and the flag.
//   - Cross-site requests: a browser sends a request with an Origin header to any site a
//     page asks it to, and a "simple" one (a POST of text/plain, say) without asking the
//     server first; without a token, the default on loopback, a page on any website could
//     then drive the control plane (load fixtures from a directory, reset, inject faults).
//     So a request whose Origin the CORS option corsAllowedOrigins does not allow is
//     refused, whatever its method and Content-Type; tools such as curl send no Origin and
//     are not affected.
//   - The admin token, when one is set, is required (bearer, compared in constant time).
//
// Every check reads headers only; the body of a refused request is not read (the
// connection is closed after the reply), and the body of an admitted one is read here,
// within maxAdminBody and the body deadline (Config.BodyReadTimeout), before any handler.
func (s *Server) adminAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse := func(status int, msg string) {
			if r.ContentLength != 0 {
				refuseBody(w)
			}
			adminError(w, status, msg)
		}
		tok := s.cfg.AdminToken
		tokenOK := false
		if tok != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			tokenOK = ok && subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1
		}
		// The dashboard's files hold no data (dashboard.go) and a browser navigating to them
		// cannot send a token; they still answer only an allowed Host.
		tokenNeeded := tok != "" && !isDashboardFile(r)
		opts := s.opts.Load()
		if !tokenOK && !hostAllowed(r.Host, opts.AllowedHosts) {
			refuse(http.StatusForbidden, fmt.Sprintf("host %q is not allowed to use the control plane (a guard against DNS rebinding): "+
				"use a loopback name (localhost, 127.0.0.1, [::1]), allow the host with --allowed-host (option allowedHosts), "+
				"or send Authorization: Bearer <admin token> (--admin-token)", r.Host))
			return
		}
		if origin, ok := r.Header["Origin"]; ok {
			if len(origin) != 1 || (!originAllowed(origin[0], opts.CORSAllowedOrigins) && !s.dashboardOrigin(r, origin[0])) {
				refuse(http.StatusForbidden, fmt.Sprintf("cross-site request refused: origin %q is not allowed to use the control plane (option corsAllowedOrigins)", strings.Join(origin, ", ")))
				return
			}
		}
		if tokenNeeded && !tokenOK {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+Realm+` control plane"`)
			refuse(http.StatusUnauthorized, "the control plane needs Authorization: Bearer <admin token>")
			return
		}
		if r.ContentLength != 0 {
			body, err := s.readBodyWithin(w, r, maxAdminBody)
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				adminError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxAdminBody))
				return
			case errors.Is(err, errBodyTimeout):
				adminError(w, http.StatusRequestTimeout, err.Error())
				return
			case err != nil:
				adminError(w, http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err))
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		adminError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", contentJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	body := append(append([]byte(`{"error":`), jsonString(msg)...), '}') // "<admin token>", not "\u003cadmin token\u003e"
	w.Header().Set("Content-Type", contentJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func adminDone(w http.ResponseWriter) { adminJSON(w, http.StatusOK, map[string]bool{"ok": true}) }

// decodeAdmin decodes a JSON body strictly (unknown members are errors); an empty body
// leaves v as it is when optional.
func decodeAdmin(r *http.Request, v any, optional bool) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return errors.New("a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return errors.New("body: data after the JSON value")
	}
	return nil
}

func (s *Server) adminContractFile() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(spec.AdminDocument())
	}
}

func (s *Server) adminReset() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Sessions bool `json:"sessions"`
		}
		if err := decodeAdmin(r, &req, true); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := s.Reset(); err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if req.Sessions {
			s.sessions.drop("")
			s.cometd.ExpireSessionsWhere(nil)
		}
		adminDone(w)
	}
}

func (s *Server) adminFixtures() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Dir   string                     `json:"dir"`
			Files map[string]json.RawMessage `json:"files"`
		}
		if err := decodeAdmin(r, &req, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		var set *fixtures.Set
		var err error
		switch {
		case req.Dir != "" && req.Files != nil:
			err = errors.New("give dir or files, not both")
		case req.Dir != "":
			set, err = fixtures.LoadDirWith(s.contract, req.Dir)
		case req.Files != nil:
			fsys := fstest.MapFS{}
			for name, content := range req.Files {
				clean := path.Clean(strings.TrimPrefix(name, "/"))
				if clean != name || strings.HasPrefix(clean, "..") {
					err = fmt.Errorf("file name %q: give clean relative paths such as users/me.json", name)
					break
				}
				fsys[clean] = &fstest.MapFile{Data: content, Mode: 0o644}
			}
			if err == nil {
				set, err = fixtures.LoadWith(s.contract, fsys)
			}
		default:
			err = errors.New("give dir (a fixture directory on the mock's disk) or files (a bundle)")
		}
		if err == nil {
			err = s.LoadFixtures(set)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		adminDone(w)
	}
}

// StateDocument is what GET /_mock/state returns and PUT /_mock/state (and a state file)
// takes; only State is read back.
type StateDocument struct {
	Warnings   []string       `json:"warnings"`
	Deviations []Deviation    `json:"deviations"`
	Options    *Options       `json:"options,omitempty"`
	Sessions   *SessionCounts `json:"sessions,omitempty"`
	Violations uint64         `json:"violations"`
	State      state.Snapshot `json:"state"`
}

// SessionCounts counts the live sessions.
type SessionCounts struct {
	HTTP   int `json:"http"`
	CometD int `json:"cometd"`
}

// Warnings lists what a user of the mock must know: deviations that are on.
func (s *Server) Warnings() []string {
	out := []string{}
	if d := s.ActiveDeviations(); len(d) > 0 {
		names := make([]string, len(d))
		for i, x := range d {
			names[i] = string(x)
		}
		out = append(out, "deviations are on, the mock breaks its contract on purpose: "+strings.Join(names, ", "))
	}
	return out
}

func (s *Server) adminState() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		opts := s.Options()
		n, _ := s.viol.snapshot()
		dev := s.ActiveDeviations()
		if dev == nil {
			dev = []Deviation{}
		}
		adminJSON(w, http.StatusOK, StateDocument{
			Warnings: s.Warnings(), Deviations: dev, Options: &opts, Violations: n,
			Sessions: &SessionCounts{HTTP: s.sessions.len(), CometD: len(s.cometd.Sessions())},
			State:    s.Snapshot(),
		})
	}
}

func (s *Server) adminRestore() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var doc struct {
			State *state.Snapshot `json:"state"`
		}
		data, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(data, &doc)
		}
		if err == nil && doc.State == nil {
			err = errors.New("the document has no state member")
		}
		if err == nil {
			err = s.Restore(*doc.State)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		adminDone(w)
	}
}

// adminPlace creates an interaction in a workbin as routing would, and publishes its
// ItemAdded to the workbin's subscribers.
func (s *Server) adminPlace() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			WorkbinID    string         `json:"workbinId"`
			Media        spec.Media     `json:"media"`
			ID           string         `json:"id"`
			Type         string         `json:"type"`
			ReceivedDate string         `json:"receivedDate"`
			UserData     map[string]any `json:"userData"`
		}
		if err := decodeAdmin(r, &req, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if req.WorkbinID == "" || req.Media == "" {
			adminError(w, http.StatusBadRequest, "workbinId and media are required")
			return
		}
		n := state.NewInteraction{ID: req.ID, Media: req.Media, Type: req.Type, UserData: req.UserData}
		if req.ReceivedDate != "" {
			t, err := time.Parse(spec.ReceivedDateLayout, req.ReceivedDate)
			if err != nil {
				adminError(w, http.StatusBadRequest, fmt.Sprintf("receivedDate %q: want the form %s, e.g. %s", req.ReceivedDate, spec.ReceivedDateForm, spec.ReceivedDateExample))
				return
			}
			n.ReceivedDate = t
		}
		events, err := s.store.Place(n, req.WorkbinID)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, state.ErrUnknownWorkbin) {
				status = http.StatusNotFound
			}
			adminError(w, status, err.Error())
			return
		}
		s.publish(events, nil, false, baseURL(r))
		s.changed()
		var x state.Interaction
		if len(events) > 0 {
			x = events[0].Interaction
		}
		res, err := x.Located(baseURL(r)) // as the workbin lists it
		if err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		adminJSON(w, http.StatusCreated, map[string]any{"id": x.ID, "interaction": json.RawMessage(res)})
	}
}

func (s *Server) adminGetOptions() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, s.Options()) }
}

// adminSetOptions replaces (PUT: from the defaults) or changes (PATCH: from the current
// options) the options.
func (s *Server) adminSetOptions(replace bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		base := s.Options()
		if replace {
			base = DefaultOptions()
		}
		next, err := base.ApplyJSON(data)
		if err == nil {
			err = s.SetOptions(next)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		adminJSON(w, http.StatusOK, s.Options())
	}
}

type deviationsDoc struct {
	On  []Deviation     `json:"on"`
	All []DeviationInfo `json:"all"`
}

func (s *Server) deviationsDoc() deviationsDoc {
	on := s.ActiveDeviations()
	if on == nil {
		on = []Deviation{}
	}
	return deviationsDoc{On: on, All: Deviations()}
}

func (s *Server) adminGetDeviations() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { adminJSON(w, http.StatusOK, s.deviationsDoc()) }
}

func (s *Server) adminSetDeviations() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			On []Deviation `json:"on"`
		}
		if err := decodeAdmin(r, &req, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := s.SetDeviations(req.On); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if on := s.ActiveDeviations(); len(on) > 0 {
			s.log.Warn("mock: deviations switched on: the mock breaks its contract on purpose", "deviations", on)
		}
		adminJSON(w, http.StatusOK, s.deviationsDoc())
	}
}

func (s *Server) adminListFaults() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		adminJSON(w, http.StatusOK, map[string][]Fault{"faults": s.faults.list()})
	}
}

func (s *Server) adminAddFault() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := decodeAdmin(r, &f, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		stored, err := s.faults.add(f)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		adminJSON(w, http.StatusCreated, stored)
	}
}

func (s *Server) adminClearFaults() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.faults.clear()
		adminDone(w)
	}
}

// eventFault is the body of /_mock/cometd/delay and /drop.
type eventFault struct {
	User  string `json:"user"`
	Count int    `json:"count"`
	Delay Millis `json:"delay"`
}

func principalIs(user string) func(bayeux.SessionInfo) bool {
	return func(si bayeux.SessionInfo) bool { return si.Principal == user }
}

// adminEventFault delays (drop false) or drops the next events of a user's sessions.
func (s *Server) adminEventFault(drop bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var f eventFault
		if err := decodeAdmin(r, &f, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if f.Count == 0 {
			f.Count = 1
		}
		switch {
		case f.User == "":
			adminError(w, http.StatusBadRequest, "user is required")
			return
		case f.Count < 0:
			adminError(w, http.StatusBadRequest, "count must be positive")
			return
		case drop && f.Delay != 0:
			adminError(w, http.StatusBadRequest, "drop takes no delay")
			return
		case !drop && f.Delay <= 0:
			adminError(w, http.StatusBadRequest, "delay is required (milliseconds or \"2s\")")
			return
		case time.Duration(f.Delay) > MaxFaultDelay:
			adminError(w, http.StatusBadRequest, fmt.Sprintf("delay %s is over %s", f.Delay, MaxFaultDelay))
			return
		}
		if drop {
			s.cometd.DropNextDeliveries(principalIs(f.User), f.Count)
		} else {
			s.cometd.DelayNextDeliveries(principalIs(f.User), f.Count, time.Duration(f.Delay))
		}
		adminDone(w)
	}
}

func (s *Server) adminExpire() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			User string `json:"user"`
		}
		if err := decodeAdmin(r, &req, false); err != nil || req.User == "" {
			adminError(w, http.StatusBadRequest, "give {\"user\": NAME}")
			return
		}
		adminJSON(w, http.StatusOK, map[string]int{"expired": s.cometd.ExpireSessionsWhere(principalIs(req.User))})
	}
}

func (s *Server) adminClearEventFaults() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.cometd.ClearFaults()
		adminDone(w)
	}
}

func (s *Server) adminSessions() http.HandlerFunc {
	type session struct {
		User          string   `json:"user"`
		Subscriptions []string `json:"subscriptions"`
		ConnectHeld   bool     `json:"connectHeld"`
		Queued        int      `json:"queued"`
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		out := []session{}
		for _, si := range s.cometd.Sessions() {
			out = append(out, session{User: si.Principal, Subscriptions: si.Subscriptions, ConnectHeld: si.ConnectHeld, Queued: si.QueueLen})
		}
		adminJSON(w, http.StatusOK, map[string]any{"sessions": out})
	}
}

func (s *Server) adminJournal() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				adminError(w, http.StatusBadRequest, "limit must be a positive integer")
				return
			}
			limit = n
		}
		entries := s.journal.entries(limit)
		if entries == nil {
			entries = []JournalEntry{}
		}
		adminJSON(w, http.StatusOK, map[string]any{"entries": entries})
	}
}

func (s *Server) adminClearJournal() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.journal.clear()
		adminDone(w)
	}
}

func (s *Server) adminViolations() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		n, recent := s.viol.snapshot()
		if recent == nil {
			recent = []Violation{}
		}
		adminJSON(w, http.StatusOK, map[string]any{"count": n, "recent": recent})
	}
}

func (s *Server) adminClearViolations() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.viol.clear()
		adminDone(w)
	}
}
