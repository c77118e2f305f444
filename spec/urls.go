package spec

import (
	"net/url"
	"strings"
)

// The URL forms of openapi.yaml (D1), built in one place so that a client, the mock's
// resource URIs and the conformance suite cannot drift from the contract's route table
// (urls_test.go checks every form against it). Paths are absolute and escaped, as they go
// on the wire; ids are escaped as one path segment.

// MePath is GET /api/v2/me (the user, and the CSRF token, D8).
func MePath() string { return BasePath + "/me" }

// WorkbinsPath is /api/v2/workbins: GET lists every visible workbin, POST RequestAgentStats.
func WorkbinsPath() string { return BasePath + "/workbins" }

// MyWorkbinsPath is /api/v2/me/workbins: GET lists the user's own workbins, POST Subscribe
// with WorkbinIDsQuery.
func MyWorkbinsPath() string { return BasePath + "/me/workbins" }

// UserWorkbinsPath is /api/v2/users/{userId}/workbins, a supervisor's view of an agent's.
func UserWorkbinsPath(userID string) string {
	return BasePath + "/users/" + url.PathEscape(userID) + "/workbins"
}

// MyInteractionPath is POST /api/v2/me/{workitems|chats|emails}/{id}, the operations on an
// interaction the user works on (W13).
func MyInteractionPath(m Media, id string) string {
	mi, _ := MediaOf(m)
	return MePath() + "/" + mi.ContentArray + "/" + url.PathEscape(id)
}

// UserURI is the uri of a user, base (scheme and host) and /api/v2/users/{userId}: the
// targetUri of a Transfer, Invite or Consult to that user (D17: a user URI ends with
// /users/{userId}).
func UserURI(base, userID string) string {
	return strings.TrimSuffix(base, "/") + BasePath + "/users/" + url.PathEscape(userID)
}

// WorkbinPath is /api/v2/workbins/{workbinId}.
func WorkbinPath(workbinID string) string { return WorkbinsPath() + "/" + url.PathEscape(workbinID) }

// MyWorkbinPath is /api/v2/me/workbins/{workbinId}; a group workbin is addressed here with
// GroupQuery.
func MyWorkbinPath(workbinID string) string {
	return MyWorkbinsPath() + "/" + url.PathEscape(workbinID)
}

// UserWorkbinPath is /api/v2/users/{userId}/workbins/{workbinId} (a supervisor on an
// agent's workbin, D10).
func UserWorkbinPath(userID, workbinID string) string {
	return UserWorkbinsPath(userID) + "/" + url.PathEscape(workbinID)
}

// ContentPath is the content sub-path of one media under a workbin path:
// {workbinPath}/{mediaType}, e.g. /api/v2/workbins/{workbinId}/workitems. It returns ""
// for a media the contract does not have.
func ContentPath(workbinPath string, m Media) string {
	mi, ok := MediaOf(m)
	if !ok {
		return ""
	}
	return workbinPath + "/" + mi.ContentArray
}

// InteractionPath is the path an interaction's uri names, /api/v2/{mediaType}/{id} (no
// /me/, real-gws fact 13). It is no operation of this contract: an Add by uri reads only
// its last segment (D11).
func InteractionPath(m Media, id string) string {
	return BasePath + InteractionResourcePath(m, id)
}

// InteractionResourcePath is the path member of an interaction resource, /{mediaType}/{id}:
// the uri's path below BasePath, as GWS gives it (real-gws fact 13).
func InteractionResourcePath(m Media, id string) string {
	mi, _ := MediaOf(m)
	return "/" + mi.ContentArray + "/" + url.PathEscape(id)
}

// InteractionURI is the uri member of an interaction resource: base (scheme and host, e.g.
// http://gws:8090) and InteractionPath.
func InteractionURI(base string, m Media, id string) string {
	return strings.TrimSuffix(base, "/") + InteractionPath(m, id)
}

// GroupQuery is the query that addresses a group workbin on MyWorkbinPath: param is
// ParamAgentGroup or ParamPlaceGroup (D1; never both, W3).
func GroupQuery(param, group string) url.Values { return url.Values{param: {group}} }

// WorkbinIDsQuery is ?workbinIds=a,b: the workbins of a Subscribe on MyWorkbinsPath.
func WorkbinIDsQuery(ids ...string) url.Values {
	return url.Values{ParamWorkbinIDs: {strings.Join(ids, ",")}}
}

// SubresourcesQuery is ?subresources=…: the workbin with the content arrays of the media
// listed ("*" for all, W10).
func SubresourcesQuery(media string) url.Values { return url.Values{ParamSubresources: {media}} }

// FieldsQuery is ?fields=…: workbin lists with these members ("*" for all, W8).
func FieldsQuery(fields string) url.Values { return url.Values{ParamFields: {fields}} }
