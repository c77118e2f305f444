package mockserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// handleGetMe answers GET /api/v2/me with the user resource (the session and the CSRF
// headers are set by the pipeline).
func (s *Server) handleGetMe() apiHandler {
	return func(c *apiCall) apiReply { return okReply(spec.FieldUser, c.user.Resource) }
}

// handleListWorkbins answers GET /api/v2/workbins (onlyMine false) and
// GET /api/v2/me/workbins (onlyMine true): with fields=* the resources, with a list of
// fields those members (and id), without fields their URIs (W8).
func (s *Server) handleListWorkbins(onlyMine bool) apiHandler {
	return func(c *apiCall) apiReply {
		wbs, err := s.store.VisibleWorkbins(c.actor(), onlyMine)
		if s.deviateWorkbinList(err) {
			wbs, err = nil, nil
		}
		if err != nil {
			return stateError(err)
		}
		fields := c.r.URL.Query().Get(spec.ParamFields)
		if fields == "" {
			path := spec.WorkbinPath
			if onlyMine {
				path = spec.MyWorkbinPath
			}
			uris := make([]string, len(wbs))
			for i, wb := range wbs {
				uris[i] = baseURL(c.r) + path(wb.ID)
			}
			return okReply(spec.FieldURIs, stringArray(uris))
		}
		items := make([][]byte, len(wbs))
		for i, wb := range wbs {
			items[i] = selectFields(wb.Resource, fields)
		}
		return okReply(spec.FieldWorkbins, rawArray(items))
	}
}

// baseURL is the scheme and host the client used, for absolute URIs.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// selectFields keeps the listed members of a resource (id always); "*" keeps all.
func selectFields(res []byte, fields string) []byte {
	if fields == "*" {
		return res
	}
	m, ok := members(res)
	if !ok {
		return res
	}
	keep := strings.Split(fields, ",")
	for k := range m {
		if k != spec.FieldID && !slices.Contains(keep, k) {
			delete(m, k)
		}
	}
	if out := encodeMembers(m); out != nil {
		return out
	}
	return res
}

// workbinRef reads how the URL names a workbin: /workbins/{id}, /me/workbins/{id} with
// agentGroup or placeGroup, or /users/{userId}/workbins/{id}.
func workbinRef(c *apiCall, id string) state.WorkbinRef {
	ref := state.WorkbinRef{ID: id, OnBehalfOf: c.route.PathParams[spec.ParamUserID]}
	if strings.HasPrefix(c.route.Path, spec.BasePath+"/me/") {
		q := c.r.URL.Query()
		ref.Me, ref.AgentGroup, ref.PlaceGroup = true, q.Get(spec.ParamAgentGroup), q.Get(spec.ParamPlaceGroup)
	}
	return ref
}

// handleGetWorkbin answers the GETs of one workbin: the resource alone, with the content
// arrays of subresources (W10; media that are not modelled are left out), or with the one
// array of a media-type sub-path.
func (s *Server) handleGetWorkbin() apiHandler {
	return func(c *apiCall) apiReply {
		ref := workbinRef(c, c.route.PathParams[spec.ParamWorkbinID])
		var media []spec.Media
		if mt, ok := c.route.PathParams[spec.ParamMediaType]; ok {
			m, ok := spec.MediaOfContentArray(mt)
			if !ok {
				return errorReply(spec.StatusInvalidInput, "Invalid parameter %s: %q is not a media type", spec.ParamMediaType, mt)
			}
			media = []spec.Media{m}
		} else if sub := c.r.URL.Query().Get(spec.ParamSubresources); sub == "*" {
			media = spec.AllMedia()
		} else if sub != "" {
			for _, name := range strings.Split(sub, ",") {
				if _, ok := spec.MediaOf(spec.Media(name)); ok && !slices.Contains(media, spec.Media(name)) {
					media = append(media, spec.Media(name))
				}
			}
		}
		if len(media) == 0 {
			wb, err := s.store.Workbin(c.actor(), ref)
			if err != nil {
				return stateError(err)
			}
			return okReply(spec.FieldWorkbin, wb.Resource)
		}
		wb, items, err := s.store.Content(c.actor(), ref, media...)
		if err != nil {
			return stateError(err)
		}
		deviated := false
		if s.dev.has(DevPulledItemStillListed) {
			for _, x := range s.pulled.of(wb.ID) {
				if slices.Contains(media, x.Media) && !slices.ContainsFunc(items, func(y state.Interaction) bool { return y.ID == x.ID }) {
					items, deviated = append(items, x), true
				}
			}
		}
		rep := okReply(spec.FieldWorkbin, workbinWithContent(wb, items, media))
		rep.unchecked = deviated
		return rep
	}
}

// workbinWithContent is the workbin resource with one content array per media.
func workbinWithContent(wb state.Workbin, items []state.Interaction, media []spec.Media) []byte {
	m, ok := members(wb.Resource)
	if !ok {
		m = map[string]json.RawMessage{}
	}
	for _, md := range media {
		info, _ := spec.MediaOf(md)
		var arr [][]byte
		for _, x := range items {
			if x.Media == md {
				arr = append(arr, x.Resource)
			}
		}
		m[info.ContentArray] = rawArray(arr)
	}
	return encodeMembers(m)
}

// handlePostWorkbin answers the POSTs on one workbin: a pull, an add, Subscribe or
// Unsubscribe, by operationName (D1, D2).
func (s *Server) handlePostWorkbin() apiHandler {
	return func(c *apiCall) apiReply {
		b := c.fields
		ref := workbinRef(c, c.route.PathParams[spec.ParamWorkbinID])
		switch {
		case spec.IsPull(c.op):
			return s.pull(c, ref, b)
		case spec.IsAdd(c.op):
			return s.add(c, ref, b)
		case c.op == spec.Subscribe || c.op == spec.Unsubscribe:
			return s.subscription(c, []string{ref.ID}, func(string) state.WorkbinRef { return ref })
		}
		return errorReply(spec.StatusInvalidParameter, "Parameter %s is not valid here: %q", spec.FieldOperationName, c.op)
	}
}

// pull is PullInteractionFromWorkbin (D5, D6, D10, D11).
func (s *Server) pull(c *apiCall, ref state.WorkbinRef, b body) apiReply {
	id := b.str(spec.FieldID)
	if opt := s.pullChatGate(c.op, id); opt != "" && !s.dev.has(DevPullChatGateIgnored) {
		return errorReply(spec.StatusForbidden, "%s is forbidden: %s is false", spec.PullChat, opt)
	}
	if rep, ok := s.deviatePull(c, ref); ok {
		return rep
	}
	events, err := s.storePull(c, ref, id, b.str(spec.FieldNickname))
	if err != nil {
		if rep, ok := s.deviateRefusedPull(c, ref, id, err); ok {
			return rep
		}
		if errors.Is(err, state.ErrNotInWorkbin) && s.alreadyPulled(id) {
			switch {
			case s.dev.has(DevSecondPullSucceeds):
				rep := s.accepted(c, nil)
				rep.unchecked = true
				return rep
			case s.dev.has(DevWrongSecondPullCode):
				rep := errorReplyStatus(http.StatusBadRequest, spec.StatusInvalidInput, err.Error())
				rep.unchecked = true
				return rep
			}
		}
		return stateError(err)
	}
	rep := s.accepted(c, events)
	rep.pull = true
	return rep
}

// alreadyPulled reports whether an interaction is owned by a user (pulled).
func (s *Server) alreadyPulled(id string) bool {
	x, ok := s.store.Interaction(id)
	return ok && x.Owner != ""
}

// pullChatGate names the option that forbids this pull (D6): PullChat, or PullInteraction
// of a chat, while enableNotificationOnPullChat or enableJoinOnPullChat is false.
func (s *Server) pullChatGate(op, id string) string {
	o := s.opts.Load()
	if o.EnableNotificationOnPullChat && o.EnableJoinOnPullChat {
		return ""
	}
	if op != spec.PullChat {
		if op != spec.PullInteraction {
			return ""
		}
		if x, ok := s.store.Interaction(id); !ok || x.Media != spec.MediaChat {
			return ""
		}
	}
	if !o.EnableNotificationOnPullChat {
		return "enableNotificationOnPullChat"
	}
	return "enableJoinOnPullChat"
}

// add is AddInteractionToWorkbin: the interaction is named by id, or by the last segment
// of uri; both must agree when both are given (D11).
func (s *Server) add(c *apiCall, ref state.WorkbinRef, b body) apiReply {
	id := b.str(spec.FieldID)
	if uri := b.str(spec.FieldURI); uri != "" {
		u, err := url.Parse(uri)
		if err != nil {
			return errorReply(spec.StatusInvalidInput, "Invalid parameter %s: %v", spec.FieldURI, err)
		}
		last := path.Base(u.Path)
		if last == "/" || last == "." || last == "" {
			return errorReply(spec.StatusInvalidInput, "Invalid parameter %s: %q names no interaction", spec.FieldURI, uri)
		}
		if id != "" && id != last {
			return errorReply(spec.StatusInvalidParameter, "Parameters %s and %s name different interactions (%q, %q)", spec.FieldID, spec.FieldURI, id, last)
		}
		id = last
	}
	events, err := s.store.Add(c.actor(), ref, c.op, id, b.boolean(spec.FieldSaveLAR))
	if err != nil {
		if rep, ok := s.deviateRefusedAdd(c, err); ok {
			return rep
		}
		return stateError(err)
	}
	return s.accepted(c, events)
}

// accepted is {statusCode:0, referenceId:N} with the session's next referenceId (D4).
func (s *Server) accepted(c *apiCall, events []state.Event) apiReply {
	ref := s.nextRef(c)
	o := newObject()
	o.int(spec.FieldStatusCode, 0)
	o.int(spec.FieldReferenceID, ref)
	return apiReply{status: http.StatusOK, body: o.bytes(), ctype: contentJSON, events: events,
		refOf: func(state.Event) int64 { return ref }, changed: len(events) > 0}
}

func (s *Server) nextRef(c *apiCall) int64 {
	if s.dev.has(DevRepeatedReferenceID) {
		return 1
	}
	return c.sess.nextRef()
}

// subscription is Subscribe or Unsubscribe on the listed workbins, answered with one
// referenceId (one workbin URL) or a referenceIds map (workbinIds, W4).
func (s *Server) subscription(c *apiCall, ids []string, refOf func(id string) state.WorkbinRef) apiReply {
	refs := make([]state.WorkbinRef, len(ids))
	for i, id := range ids {
		refs[i] = refOf(id)
	}
	var events []state.Event
	var err error
	if c.op == spec.Subscribe {
		events, err = s.store.Subscribe(c.actor(), refs)
	} else {
		events, err = s.store.Unsubscribe(c.actor(), refs)
	}
	if err != nil {
		return stateError(err)
	}
	if c.route.PathParams[spec.ParamWorkbinID] != "" {
		return s.accepted(c, events)
	}
	byID := map[string]int64{}
	o := newObject()
	for _, ev := range events {
		if _, ok := byID[ev.Workbin.ID]; !ok {
			byID[ev.Workbin.ID] = s.nextRef(c)
			o.int(ev.Workbin.ID, byID[ev.Workbin.ID])
		}
	}
	env := newObject()
	env.int(spec.FieldStatusCode, 0)
	env.raw(spec.FieldReferenceIDs, o.bytes())
	return apiReply{status: http.StatusOK, body: env.bytes(), ctype: contentJSON, events: events,
		refOf: func(ev state.Event) int64 { return byID[ev.Workbin.ID] }, changed: true}
}

// handlePostWorkbins answers the collection POSTs: with workbinIds, Subscribe or
// Unsubscribe of each; without (POST /api/v2/workbins only), RequestAgentStats (W4).
func (s *Server) handlePostWorkbins() apiHandler {
	return func(c *apiCall) apiReply {
		var ids []string
		if raw := c.r.URL.Query().Get(spec.ParamWorkbinIDs); raw != "" {
			ids = strings.Split(raw, ",")
		}
		if len(ids) == 0 {
			if c.op != spec.RequestAgentStats {
				return errorReply(spec.StatusMissingParameter, "Required parameter %s is missing: %s on %s needs it", spec.ParamWorkbinIDs, c.op, c.route.Path)
			}
			b := c.fields
			ev, err := s.store.AgentStats(c.actor(), b.str(spec.FieldWorkbinType), b.str(spec.FieldWorkbinOwner))
			if err != nil {
				return stateError(err)
			}
			rep := s.accepted(c, []state.Event{ev})
			rep.changed = false // a query: nothing changed
			return rep
		}
		if c.op != spec.Subscribe && c.op != spec.Unsubscribe {
			return errorReply(spec.StatusInvalidParameter, "Parameter %s is not valid here: %s takes no %s", spec.FieldOperationName, c.op, spec.ParamWorkbinIDs)
		}
		return s.subscription(c, ids, func(id string) state.WorkbinRef { return workbinRef(c, id) })
	}
}
