package mockserver

import (
	"net/http"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// routes lists every endpoint of the mock: the REST API (dispatched by operationId and
// operationName after the contract matched the request, see apiRoutes below), CometD, the
// control plane, and the root.
// Everything goes through CORS.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// GWS REST API: every operation of spec/openapi.yaml, through serveAPI's pipeline to
	// its handler in apiRoutes.
	mux.HandleFunc(spec.BasePath+"/", s.serveAPI)

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
	admin.Handle("POST /_mock/chats/{id}/customer", s.adminCustomer())
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

// apiRoutes is the REST API of the mock: every operationId of spec/openapi.yaml and, for
// the POSTs, every operationName its body takes (the contract's discriminator mapping), with
// its handler. The contract has already matched the path and method and checked the body
// when the handler runs.
func (s *Server) apiRoutes() apiTable {
	oneWorkbin := []string{spec.OpPostWorkbin, spec.OpPostMyWorkbin, spec.OpPostUserWorkbin}
	subscribe := []string{spec.Subscribe, spec.Unsubscribe}
	return newAPITable([]apiRoute{
		{[]string{spec.OpGetMe}, nil, s.handleGetMeWork()},
		{[]string{spec.OpListWorkbins}, nil, s.handleListWorkbins(false)},
		{[]string{spec.OpListMyWorkbins}, nil, s.handleListWorkbins(true)},
		{[]string{spec.OpGetWorkbin, spec.OpGetMyWorkbin, spec.OpGetUserWorkbin,
			spec.OpGetWorkbinMedia, spec.OpGetMyWorkbinMedia, spec.OpGetUserWorkbinMedia}, nil, s.handleGetWorkbin()},

		// POST on one workbin (D1, D2).
		{oneWorkbin, spec.PullOperations(), s.pull},
		{oneWorkbin, spec.AddOperations(), s.add},
		{oneWorkbin, subscribe, s.workbinCommand(func(c *apiCall, ref state.WorkbinRef) ([]state.Event, error) {
			return s.subscribe(c, []state.WorkbinRef{ref})
		})},

		// POST on the workbin collections (W4).
		{[]string{spec.OpPostWorkbins, spec.OpPostMyWorkbins, spec.OpPostUserWorkbins}, subscribe, s.subscribeMany},
		{[]string{spec.OpPostWorkbins}, []string{spec.RequestAgentStats}, s.agentStats},

		// After the pull: the operations on an interaction (D13-D20), the session (D21).
		{[]string{spec.OpPostMyWorkitem}, spec.InteractionOperations(spec.MediaWorkitem), s.interactionOp(spec.MediaWorkitem)},
		{[]string{spec.OpPostMyChat}, spec.InteractionOperations(spec.MediaChat), s.interactionOp(spec.MediaChat)},
		{[]string{spec.OpPostMyEmail}, spec.InteractionOperations(spec.MediaEmail), s.interactionOp(spec.MediaEmail)},
		{[]string{spec.OpPostMe}, []string{spec.StartContactCenterSession, spec.EndContactCenterSession}, s.contactCenterSession},
	})
}

// apiRoute is one row of apiRoutes: a handler for these operations (operationIds) and,
// for a POST, these operationNames (nil for a GET).
type apiRoute struct {
	operationIDs   []string
	operationNames []string
	handler        apiHandler
}

// apiTable finds the handler by operationId, then by operationName ("" for a GET).
type apiTable map[string]map[string]apiHandler

func newAPITable(rows []apiRoute) apiTable {
	t := apiTable{}
	for _, row := range rows {
		names := row.operationNames
		if names == nil {
			names = []string{""}
		}
		for _, id := range row.operationIDs {
			if t[id] == nil {
				t[id] = map[string]apiHandler{}
			}
			for _, n := range names {
				t[id][n] = row.handler
			}
		}
	}
	return t
}

// dispatch runs the handler of a validated call.
func (t apiTable) dispatch(c *apiCall) apiReply {
	byName, ok := t[c.route.OperationID]
	if !ok {
		return errorReply(spec.StatusInternalError, "Operation %s is not implemented by the mock", c.route.OperationID)
	}
	h, ok := byName[c.op]
	if !ok {
		return errorReply(spec.StatusInvalidParameter, "Parameter %s is not valid here: %q", spec.FieldOperationName, c.op)
	}
	return h(c)
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
