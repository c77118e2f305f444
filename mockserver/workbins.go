package mockserver

import (
	"encoding/json"
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
		out := s.run(c, command{kind: cmdListWorkbins}, func() outcome {
			wbs, err := s.store.VisibleWorkbins(c.actor(), onlyMine)
			return outcome{workbins: wbs, err: err}
		})
		if rep, ok := out.refusal(); ok {
			return rep
		}
		wbs := out.workbins
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

// baseURL is the scheme and host a request reached the mock at, for the uri of the
// resources it answers and notifies (real-gws fact 13: uri http://host/api/v2/…): the
// uri then resolves for the client that follows it, whatever address it used. A request
// without Host (HTTP/1.0) gets localhost.
func baseURL(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
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
			out := s.run(c, command{ref: ref}, func() outcome {
				wb, err := s.store.Workbin(c.actor(), ref)
				return outcome{workbin: wb, err: err}
			})
			if rep, ok := out.refusal(); ok {
				return rep
			}
			return okReply(spec.FieldWorkbin, out.workbin.Resource)
		}
		out := s.run(c, command{kind: cmdContent, ref: ref, media: media}, func() outcome {
			wb, items, err := s.store.Content(c.actor(), ref, media...)
			return outcome{workbin: wb, items: items, err: err}
		})
		if rep, ok := out.refusal(); ok {
			return rep
		}
		content, err := workbinWithContent(out.workbin, out.items, media, baseURL(c.r))
		if err != nil {
			s.log.Error("mock: rendering workbin content", "workbin", out.workbin.ID, "err", err)
			return errorReply(spec.StatusInternalError, "Internal error: workbin %s: %v", out.workbin.ID, err)
		}
		rep := okReply(spec.FieldWorkbin, content)
		rep.unchecked = out.altered
		return rep
	}
}

// workbinWithContent is the workbin resource with one content array per media, each
// interaction with its uri and path under base (real-gws fact 13).
func workbinWithContent(wb state.Workbin, items []state.Interaction, media []spec.Media, base string) ([]byte, error) {
	m, ok := members(wb.Resource)
	if !ok {
		m = map[string]json.RawMessage{}
	}
	for _, md := range media {
		info, _ := spec.MediaOf(md)
		var arr [][]byte
		for _, x := range items {
			if x.Media == md {
				res, err := x.Located(base)
				if err != nil {
					return nil, err
				}
				arr = append(arr, res)
			}
		}
		m[info.ContentArray] = rawArray(arr)
	}
	return encodeMembers(m), nil
}

// pull is PullInteractionFromWorkbin (D5, D6, D10, D11) on the workbin of the URL. With
// enableJoinOnPullChat off a chat is pulled but not joined: it goes to the caller in state
// JoinFailed (D6, an inference).
func (s *Server) pull(c *apiCall) apiReply {
	ref := workbinRef(c, c.route.PathParams[spec.ParamWorkbinID])
	id := c.fields.str(spec.FieldID)
	if s.pullChatGated(c, id) {
		return errorReply(spec.StatusForbidden, "%s is forbidden: %s is false", spec.PullChat, spec.OptionEnableNotificationOnPullChat)
	}
	pullFn := s.store.Pull
	if !c.opts.EnableJoinOnPullChat {
		pullFn = s.store.PullJoinFailed
	}
	out := s.run(c, command{kind: cmdPull, ref: ref, id: id}, func() outcome {
		events, err := pullFn(c.actor(), ref, c.op, id, c.fields.str(spec.FieldNickname))
		return outcome{events: events, err: err}
	})
	if rep, ok := out.refusal(); ok {
		return rep
	}
	rep := s.accepted(c, out.events)
	rep.pull = true
	return rep
}

// pullChatGated reports whether enableNotificationOnPullChat forbids this pull (D6):
// PullChat, or PullInteraction of a chat, while the option is false. The docs say PullChat
// needs the option on; a pull that succeeded without telling the agent would leave the chat
// unreachable, so the mock refuses it (403 / 3 naming the option) and changes nothing.
func (s *Server) pullChatGated(c *apiCall, id string) bool {
	if c.opts.EnableNotificationOnPullChat {
		return false
	}
	if c.op == spec.PullChat {
		return true
	}
	if c.op != spec.PullInteraction {
		return false
	}
	x, ok := s.store.Interaction(id)
	return ok && x.Media == spec.MediaChat
}

// add is AddInteractionToWorkbin on the workbin of the URL: the interaction is named by id,
// or by the last segment of uri; both must agree when both are given (D11).
func (s *Server) add(c *apiCall) apiReply {
	b := c.fields
	ref := workbinRef(c, c.route.PathParams[spec.ParamWorkbinID])
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
	out := s.run(c, command{kind: cmdAdd, ref: ref, id: id}, func() outcome {
		events, err := s.store.Add(c.actor(), ref, c.op, id, b.boolean(spec.FieldSaveLAR))
		return outcome{events: events, err: err}
	})
	if rep, ok := out.refusal(); ok {
		return rep
	}
	return s.accepted(c, out.events)
}

// accepted is {statusCode:0, referenceId:N} with the session's next referenceId (D4).
func (s *Server) accepted(c *apiCall, events []state.Event) apiReply {
	ref := c.nextRef()
	o := newObject()
	o.int(spec.FieldStatusCode, 0)
	o.int(spec.FieldReferenceID, ref)
	return apiReply{status: http.StatusOK, body: o.bytes(), ctype: contentJSON, events: events,
		refOf: func(state.Event) int64 { return ref }, changed: len(events) > 0}
}

// workbinCommand is the handler of an operation on the workbin of the URL that runs one
// state command and answers {statusCode:0, referenceId:N}; its events are published.
func (s *Server) workbinCommand(do func(c *apiCall, ref state.WorkbinRef) ([]state.Event, error)) apiHandler {
	return func(c *apiCall) apiReply {
		ref := workbinRef(c, c.route.PathParams[spec.ParamWorkbinID])
		out := s.run(c, command{ref: ref}, func() outcome {
			events, err := do(c, ref)
			return outcome{events: events, err: err}
		})
		if rep, ok := out.refusal(); ok {
			return rep
		}
		return s.accepted(c, out.events)
	}
}

// subscribe is Subscribe or Unsubscribe of the caller on the workbins refs name.
func (s *Server) subscribe(c *apiCall, refs []state.WorkbinRef) ([]state.Event, error) {
	if c.op == spec.Subscribe {
		return s.store.Subscribe(c.actor(), refs)
	}
	return s.store.Unsubscribe(c.actor(), refs)
}

// subscribeMany is Subscribe or Unsubscribe on every workbin of workbinIds, answered with
// a referenceIds map (W4).
func (s *Server) subscribeMany(c *apiCall) apiReply {
	ids := workbinIDs(c)
	if len(ids) == 0 {
		return errorReply(spec.StatusMissingParameter, "Required parameter %s is missing: %s on %s needs it", spec.ParamWorkbinIDs, c.op, c.route.Path)
	}
	refs := make([]state.WorkbinRef, len(ids))
	for i, id := range ids {
		refs[i] = workbinRef(c, id)
	}
	return s.subscription(c, refs)
}

// workbinIDs is the workbinIds query parameter of the collection POSTs, split.
func workbinIDs(c *apiCall) []string {
	if raw := c.r.URL.Query().Get(spec.ParamWorkbinIDs); raw != "" {
		return strings.Split(raw, ",")
	}
	return nil
}

// subscription is Subscribe or Unsubscribe on the workbins refs name, answered with a
// referenceIds map (workbinIds, W4).
func (s *Server) subscription(c *apiCall, refs []state.WorkbinRef) apiReply {
	out := s.run(c, command{}, func() outcome {
		events, err := s.subscribe(c, refs)
		return outcome{events: events, err: err}
	})
	if rep, ok := out.refusal(); ok {
		return rep
	}
	events := out.events
	byID := map[string]int64{}
	o := newObject()
	for _, ev := range events {
		if _, ok := byID[ev.Workbin.ID]; !ok {
			byID[ev.Workbin.ID] = c.nextRef()
			o.int(ev.Workbin.ID, byID[ev.Workbin.ID])
		}
	}
	env := newObject()
	env.int(spec.FieldStatusCode, 0)
	env.raw(spec.FieldReferenceIDs, o.bytes())
	return apiReply{status: http.StatusOK, body: env.bytes(), ctype: contentJSON, events: events,
		refOf: func(ev state.Event) int64 { return byID[ev.Workbin.ID] }, changed: true}
}

// agentStats is RequestAgentStats on POST /api/v2/workbins, without workbinIds (W4): the
// statistics come as a WorkbinStatsMessage.
func (s *Server) agentStats(c *apiCall) apiReply {
	if len(workbinIDs(c)) > 0 {
		return errorReply(spec.StatusInvalidParameter, "Parameter %s is not valid here: %s takes no %s", spec.FieldOperationName, c.op, spec.ParamWorkbinIDs)
	}
	out := s.run(c, command{}, func() outcome {
		ev, err := s.store.AgentStats(c.actor(), c.fields.str(spec.FieldWorkbinType), c.fields.str(spec.FieldWorkbinOwner))
		return outcome{events: []state.Event{ev}, err: err}
	})
	if rep, ok := out.refusal(); ok {
		return rep
	}
	rep := s.accepted(c, out.events)
	rep.changed = false // a query: nothing changed
	return rep
}
