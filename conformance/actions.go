// Actions: how a spec addresses a workbin (WorkbinRef, the URL forms of D1 through
// spec/urls.go) and acts on it: POST an operation, pull, read the content.

package conformance

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/workbinkit/workbinkit/spec"
)

// WorkbinRef names a workbin a spec works on and how to address it.
type WorkbinRef struct {
	ID string
	// Owner is the user whose workbin it is; for a group workbin, the agent who reads it.
	Owner Role
	// Param is spec.ParamAgentGroup or spec.ParamPlaceGroup for a group workbin, else "".
	Param string
	Group string
	// Label names it in messages ("agent's workbin 3434543fafwe987").
	Label string
}

func (w WorkbinRef) isGroup() bool { return w.Param != "" }

// groupQuery is ?agentGroup= or ?placeGroup= for a group workbin, nil for another.
func (w WorkbinRef) groupQuery() url.Values {
	if !w.isGroup() {
		return nil
	}
	return spec.GroupQuery(w.Param, w.Group)
}

// Placed is an interaction a spec provisioned: its workbin and how the workbin listed it.
type Placed struct {
	ID      string
	Media   spec.Media
	Workbin WorkbinRef
	Listed  map[string]any
}

// item is one interaction in a workbin's content.
type item struct {
	Media    spec.Media
	Resource map[string]any
}

// urlForm is one of the URL forms of a workbin POST (D1).
type urlForm string

// The URL forms, as the report names operation variants.
const (
	formWorkbins   urlForm = "POST /api/v2/workbins/{workbinId}"
	formMe         urlForm = "POST /api/v2/me/workbins/{workbinId}"
	formUser       urlForm = "POST /api/v2/users/{userId}/workbins/{workbinId}"
	formAgentGroup urlForm = "POST /api/v2/me/workbins/{workbinId}?agentGroup={group}"
	formPlaceGroup urlForm = "POST /api/v2/me/workbins/{workbinId}?placeGroup={group}"
)

// variant names an operation variant for the report: "PullWorkitem · POST /api/v2/workbins/{workbinId}".
func variant(op string, f urlForm) string { return op + " · " + string(f) }

// formOf is the form that addresses w (a group workbin has its own).
func formOf(w WorkbinRef, personal urlForm) urlForm {
	switch w.Param {
	case spec.ParamAgentGroup:
		return formAgentGroup
	case spec.ParamPlaceGroup:
		return formPlaceGroup
	}
	return personal
}

// workbinURL is the path and query that address w in form f (spec/urls.go builds them).
func (t *T) workbinURL(f urlForm, w WorkbinRef) (string, url.Values) {
	switch f {
	case formWorkbins:
		return spec.WorkbinPath(w.ID), nil
	case formMe:
		return spec.MyWorkbinPath(w.ID), nil
	case formUser:
		return spec.UserWorkbinPath(t.s.info.userID(w.Owner), w.ID), nil
	case formAgentGroup, formPlaceGroup:
		return spec.MyWorkbinPath(w.ID), w.groupQuery()
	}
	panic("conformance: unknown URL form " + string(f)) // a suite bug
}

// post sends a workbin operation body to w in form f.
func (t *T) post(sess *Session, f urlForm, w WorkbinRef, body any, opts ...reqOption) *Exchange {
	path, q := t.workbinURL(f, w)
	return t.do(sess, http.MethodPost, path, body, append([]reqOption{withQuery(q)}, opts...)...)
}

// pullBody is the body of a pull (D2).
func pullBody(op, id string) map[string]any {
	return map[string]any{spec.FieldOperationName: op, spec.FieldID: id}
}

// pull pulls p from its workbin in form f with operation op.
func (t *T) pull(sess *Session, f urlForm, p Placed, op string, opts ...reqOption) *Exchange {
	return t.post(sess, formOf(p.Workbin, f), p.Workbin, pullBody(op, p.ID), opts...)
}

// contentOf reads w's content (GET with subresources=*), as w's owner sees it.
func (t *T) contentOf(w WorkbinRef) (map[string]item, *Exchange) {
	path := spec.WorkbinPath(w.ID)
	if w.isGroup() {
		path = spec.MyWorkbinPath(w.ID)
	}
	ex := t.do(t.user(w.Owner), http.MethodGet, path, nil, withQuery(spec.SubresourcesQuery("*"), w.groupQuery()))
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleContent, Where: ex.Where(), Message: fmt.Sprintf("reading the content of %s: HTTP %d", w.Label, ex.Status)}, ex.Dump())
	}
	return contentItems(ex), ex
}

// contentItems reads the interactions of a workbin content reply (GET with
// subresources=*), by id.
func contentItems(ex *Exchange) map[string]item {
	wb, _ := ex.JSON()[spec.FieldWorkbin].(map[string]any)
	items := map[string]item{}
	for _, m := range spec.AllMedia() {
		mi, _ := spec.MediaOf(m)
		arr, _ := wb[mi.ContentArray].([]any)
		for _, x := range arr {
			if res, ok := x.(map[string]any); ok {
				if id, ok := res[spec.FieldID].(string); ok {
					items[id] = item{Media: m, Resource: res}
				}
			}
		}
	}
	return items
}
