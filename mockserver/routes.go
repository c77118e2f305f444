package mockserver

import (
	"net/http"

	"github.com/workbinkit/workbinkit/spec"
)

// routes lists every endpoint of the mock: the REST API (dispatched by operationId after
// the contract matched the request, see apiRoutes), CometD, the control plane, and the root.
// Everything goes through CORS.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// GWS REST API: every operation of spec/openapi.yaml, through serveAPI's pipeline.
	mux.HandleFunc(spec.BasePath+"/", s.withoutPlaceGroup(s.serveAPI))

	// CometD (Bayeux long-polling), the mount path and every sub-path (D9).
	cometd := s.cometdHandler()
	mux.Handle(spec.CometDPath, cometd)
	mux.Handle(spec.CometDPath+"/", cometd)

	// Control plane, described by spec/mock-admin.yaml.
	admin := http.NewServeMux()
	admin.Handle("GET /_mock/openapi.yaml", s.adminContractFile())
	admin.Handle("POST /_mock/reset", s.adminReset())
	admin.Handle("POST /_mock/fixtures", s.adminFixtures())
	admin.Handle("GET /_mock/state", s.adminState())
	admin.Handle("PUT /_mock/state", s.adminRestore())
	admin.Handle("POST /_mock/interactions", s.adminPlace())
	admin.Handle("GET /_mock/options", s.adminGetOptions())
	admin.Handle("PUT /_mock/options", s.adminSetOptions(true))
	admin.Handle("PATCH /_mock/options", s.adminSetOptions(false))
	admin.Handle("GET /_mock/deviations", s.adminGetDeviations())
	admin.Handle("PUT /_mock/deviations", s.adminSetDeviations())
	admin.Handle("GET /_mock/faults", s.adminListFaults())
	admin.Handle("POST /_mock/faults", s.adminAddFault())
	admin.Handle("DELETE /_mock/faults", s.adminClearFaults())
	admin.Handle("POST /_mock/cometd/delay", s.adminEventFault(false))
	admin.Handle("POST /_mock/cometd/drop", s.adminEventFault(true))
	admin.Handle("POST /_mock/cometd/expire", s.adminExpire())
	admin.Handle("DELETE /_mock/cometd/faults", s.adminClearEventFaults())
	admin.Handle("GET /_mock/cometd/sessions", s.adminSessions())
	admin.Handle("GET /_mock/journal", s.adminJournal())
	admin.Handle("DELETE /_mock/journal", s.adminClearJournal())
	admin.Handle("GET /_mock/violations", s.adminViolations())
	admin.Handle("DELETE /_mock/violations", s.adminClearViolations())
	admin.HandleFunc("/_mock/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, "no control-plane endpoint "+r.Method+" "+r.URL.Path+"; see GET /_mock/openapi.yaml")
	})
	mux.Handle("/_mock/", s.adminAuth(admin))

	mux.HandleFunc("/", s.serveRoot)
	return s.cors(mux)
}

// apiRoutes maps every operationId of spec/openapi.yaml to its handler.
func (s *Server) apiRoutes() map[string]apiHandler {
	return map[string]apiHandler{
		spec.OpGetMe:               s.handleGetMe(),
		spec.OpListWorkbins:        s.handleListWorkbins(false),
		spec.OpListMyWorkbins:      s.handleListWorkbins(true),
		spec.OpPostWorkbins:        s.handlePostWorkbins(),
		spec.OpPostMyWorkbins:      s.handlePostWorkbins(),
		spec.OpPostUserWorkbins:    s.handlePostWorkbins(),
		spec.OpGetWorkbin:          s.handleGetWorkbin(),
		spec.OpGetMyWorkbin:        s.handleGetWorkbin(),
		spec.OpGetUserWorkbin:      s.handleGetWorkbin(),
		spec.OpGetWorkbinMedia:     s.handleGetWorkbin(),
		spec.OpGetMyWorkbinMedia:   s.handleGetWorkbin(),
		spec.OpGetUserWorkbinMedia: s.handleGetWorkbin(),
		spec.OpPostWorkbin:         s.handlePostWorkbin(),
		spec.OpPostMyWorkbin:       s.handlePostWorkbin(),
		spec.OpPostUserWorkbin:     s.handlePostWorkbin(),
	}
}

// serveRoot answers GET / with where things are; anything else outside the API is 404.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" || r.Method != http.MethodGet {
		rep := errorReply(spec.StatusNotFound, "No resource at %s", r.URL.Path)
		w.Header().Set("Content-Type", rep.ctype)
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.body)
		return
	}
	adminJSON(w, http.StatusOK, map[string]any{
		"name": "workbinkit mock", "api": spec.BasePath, "cometd": spec.CometDPath,
		"controlPlane": "/_mock/", "controlPlaneContract": "/_mock/openapi.yaml",
		"warnings": s.Warnings(),
	})
}
