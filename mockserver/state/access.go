package state

import (
	"github.com/workbinkit/workbinkit/spec"
)

// target is a workbin a request may act on, with what its events need to say about it.
type target struct {
	workbin Workbin
	// userID is the {userId} of the supervisor form (D10): events carry it as workbinUserId.
	userID string
}

// actor resolves the acting user: an unknown one is not authenticated (20), and one without
// api-multimedia sees no Workbins API at all (D7: 6).
func (w *world) actor(a Actor) (User, error) {
	u, ok := w.users[a.User]
	if !ok {
		return User{}, fail(spec.StatusNotAuthenticated, ErrNotAuthenticated, "user %q is not authenticated", a.User)
	}
	if !u.HasFeature(spec.FeatureMultimedia) {
		return User{}, fail(spec.StatusNotFound, ErrNoMultimedia, "the Workbins API needs the feature %s, which user %q does not have", spec.FeatureMultimedia, u.Name)
	}
	return u, nil
}

// access applies the workbin access rules (S1), in this order:
//
//   - no workbin id: 1; both group parameters: 1 (W3);
//   - supervisor form (D10, W2): an actor without the supervisor role 5; a group parameter 2;
//     an unknown {userId} 6; an unknown workbin 6; a workbin that is not an Agent workbin of
//     that user 6 (the URL names a workbin the user does not have);
//   - unknown workbin 6 (W7);
//   - a group parameter on a workbin that is not of that group (another type, the other kind
//     of group, another group's name) 2; a group the actor is not a member of 5;
//   - a group workbin on the /me form without its parameter 1 (the /me form addresses group
//     workbins only with ?agentGroup= / ?placeGroup=, D1); on /api/v2/workbins/{id}, which
//     GET /api/v2/workbins lists group workbins for and whose multi-workbin POST has no group
//     parameter, members need none; a non-member 5;
//   - another user's Agent workbin (supervisors included, outside the supervisor form) 5 (W7);
//     the Place workbin of another place 5.
func (w *world) access(u User, ref WorkbinRef) (target, error) {
	if ref.ID == "" {
		return target{}, fail(spec.StatusMissingParameter, ErrMissingParameter, "the workbin id is missing")
	}
	if ref.AgentGroup != "" && ref.PlaceGroup != "" {
		return target{}, fail(spec.StatusMissingParameter, ErrMissingParameter, "give one of %s and %s, not both", spec.ParamAgentGroup, spec.ParamPlaceGroup)
	}
	if ref.OnBehalfOf != "" {
		return w.supervisorAccess(u, ref)
	}
	wb, ok := w.workbins[ref.ID]
	if !ok {
		return target{}, fail(spec.StatusNotFound, ErrUnknownWorkbin, "workbin %q not found", ref.ID)
	}
	if param, name := groupParam(ref); param != "" {
		if wb.Type != groupType(param) || wb.Owner != name {
			return target{}, fail(spec.StatusInvalidParameter, ErrGroupParameter, "workbin %q is not the %s workbin of %q", wb.ID, groupType(param), name)
		}
	}
	switch wb.Type {
	case spec.WorkbinAgent:
		if wb.Owner != u.Name {
			return target{}, fail(spec.StatusNoPermission, ErrWorkbinForbidden, "workbin %q belongs to another user", wb.ID)
		}
	case spec.WorkbinPlace:
		if wb.Owner != u.Place {
			return target{}, fail(spec.StatusNoPermission, ErrWorkbinForbidden, "workbin %q belongs to another place than %q's", wb.ID, u.Name)
		}
	case spec.WorkbinAgentGroup, spec.WorkbinPlaceGroup:
		if ref.Me && ref.AgentGroup == "" && ref.PlaceGroup == "" {
			param := spec.ParamAgentGroup
			if wb.Type == spec.WorkbinPlaceGroup {
				param = spec.ParamPlaceGroup
			}
			return target{}, fail(spec.StatusMissingParameter, ErrMissingParameter, "workbin %q is %s workbin: /me/workbins needs ?%s=", wb.ID, withArticle(wb.Type), param)
		}
		if !canReach(u, wb) {
			return target{}, fail(spec.StatusNoPermission, ErrWorkbinForbidden, "user %q is not a member of the %s %q", u.Name, spec.WorkbinOwnerKind(wb.Type), wb.Owner)
		}
	}
	return target{workbin: wb}, nil
}

func (w *world) supervisorAccess(u User, ref WorkbinRef) (target, error) {
	if !u.IsSupervisor() {
		return target{}, fail(spec.StatusNoPermission, ErrNotSupervisor, "/users/{userId}/workbins is for supervisors; user %q is not one", u.Name)
	}
	if ref.AgentGroup != "" || ref.PlaceGroup != "" {
		return target{}, fail(spec.StatusInvalidParameter, ErrGroupParameter, "the supervisor form reaches Agent workbins only; %s and %s do not apply", spec.ParamAgentGroup, spec.ParamPlaceGroup)
	}
	name, ok := w.userIDs[ref.OnBehalfOf]
	if !ok {
		return target{}, fail(spec.StatusNotFound, ErrUnknownUser, "no user has the id %q", ref.OnBehalfOf)
	}
	wb, ok := w.workbins[ref.ID]
	if !ok {
		return target{}, fail(spec.StatusNotFound, ErrUnknownWorkbin, "workbin %q not found", ref.ID)
	}
	if wb.Type != spec.WorkbinAgent || wb.Owner != name {
		return target{}, fail(spec.StatusNotFound, ErrUnknownWorkbin, "user %q has no workbin %q", name, ref.ID)
	}
	return target{workbin: wb, userID: ref.OnBehalfOf}, nil
}

// groupParam returns the group parameter of a reference and its value.
func groupParam(ref WorkbinRef) (param, name string) {
	switch {
	case ref.AgentGroup != "":
		return spec.ParamAgentGroup, ref.AgentGroup
	case ref.PlaceGroup != "":
		return spec.ParamPlaceGroup, ref.PlaceGroup
	}
	return "", ""
}

func groupType(param string) string {
	if param == spec.ParamAgentGroup {
		return spec.WorkbinAgentGroup
	}
	return spec.WorkbinPlaceGroup
}

// canReach reports whether a user may act on a workbin by some URL form: one he owns (his
// own Agent workbin, his place's, his groups', spec.WorkbinMember.Owns), or any Agent
// workbin for a supervisor (D10).
func canReach(u User, wb Workbin) bool {
	if !u.HasFeature(spec.FeatureMultimedia) {
		return false
	}
	return u.member().Owns(wb.Type, wb.Owner) || wb.Type == spec.WorkbinAgent && u.IsSupervisor()
}

// member is what ties the user to workbins, for spec's ownership rule.
func (u User) member() spec.WorkbinMember {
	return spec.WorkbinMember{Name: u.Name, Place: u.Place, AgentGroups: u.AgentGroups, PlaceGroups: u.PlaceGroups}
}
