package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/spec"
)

// ErrCannotProvision: the provisioner has no way to put such an interaction there (the
// list is used up, no owned interaction of that media is free…). The spec is skipped.
var ErrCannotProvision = errors.New("cannot provision")

// provisioner gets a fresh interaction into a workbin before a pull. Implementations are
// per process and safe for concurrent use.
type provisioner interface {
	Mode() ProvisioningMode
	// Place puts an interaction of media m into w and returns its id.
	Place(ctx context.Context, t *T, w WorkbinRef, m spec.Media) (string, error)
	// Return is called when a spec ends, for each interaction it provisioned: holder is who
	// the suite last saw owning it ("" when it did not see it pulled). The api mode gives
	// it back to its configured owner, so later specs and later runs can add it again.
	Return(ctx context.Context, t *T, id string, p placement, holder Role)
}

// newProvisioner builds the provisioner of o for parallel process proc of plan.total
// (1-based), so processes never share an interaction: list mode deals each workbin's ids
// of each media by the plan (every process gets its share of every pool); api mode takes
// every total-th owned interaction.
func newProvisioner(o *Options, plan listPlan, proc int) provisioner {
	total := plan.total
	switch o.Provisioning.Mode {
	case ProvisionList:
		return &listProvisioner{free: plan.share(o.Provisioning.Interactions, proc)}
	case ProvisionAPI:
		p := &apiProvisioner{}
		for i, x := range o.Provisioning.Owned {
			if i%total == proc-1 {
				p.free = append(p.free, x)
			}
		}
		return p
	case ProvisionCommand, ProvisionWebhook:
		return newHookProvisioner(o)
	}
	return &adminProvisioner{path: o.Provisioning.AdminPath, token: o.Provisioning.AdminToken}
}

// adminProvisioner creates interactions through the workbinkit mock's control plane
// (POST /_mock/interactions), with userData that carries routing keys and the spec id.
type adminProvisioner struct {
	path, token string
}

func (a *adminProvisioner) Mode() ProvisioningMode { return ProvisionAdmin }

func (a *adminProvisioner) Place(ctx context.Context, t *T, w WorkbinRef, m spec.Media) (string, error) {
	userData := map[string]any{
		"RTargetAgentSelected": t.s.opts.Users.Credentials(w.Owner).User,
		"CustomerSegment":      "default",
		"SubmittedAt":          "2024-05-06T07:08:09Z",
		"IsHeld":               0,
		"RRequestedSkills":     nil,
		"WorkbinkitSpec":       t.id,
	}
	body := map[string]any{spec.AdminFieldWorkbinID: w.ID, spec.AdminFieldMedia: m, spec.AdminFieldUserData: userData}
	ex := t.admin().Do(ctx, http.MethodPost, a.path+spec.AdminPathInteractions, body, adminCall(a.token))
	if ex.Err != nil {
		return "", fmt.Errorf("admin API %s: %w", a.path, ex.Err)
	}
	if ex.Status != http.StatusCreated {
		return "", fmt.Errorf("admin API POST %s%s answered HTTP %d: %s", a.path, spec.AdminPathInteractions, ex.Status, clipText(string(ex.ResponseBody), 200))
	}
	id, _ := ex.JSON()[spec.FieldID].(string)
	if id == "" {
		return "", fmt.Errorf("admin API reply has no id: %s", clipText(string(ex.ResponseBody), 200))
	}
	return id, nil
}

func (a *adminProvisioner) Return(context.Context, *T, string, placement, Role) {}

// listProvisioner hands out interactions the vendor placed beforehand, each once.
type listProvisioner struct {
	mu   sync.Mutex
	free []PlacedInteraction
}

func (p *listProvisioner) Mode() ProvisioningMode { return ProvisionList }

func (p *listProvisioner) Place(_ context.Context, _ *T, w WorkbinRef, m spec.Media) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.free {
		if x.Workbin == w.ID && x.Media == m {
			p.free = append(p.free[:i:i], p.free[i+1:]...)
			return x.ID, nil
		}
	}
	return "", fmt.Errorf("%w: provisioning.interactions has no unused %s for workbin %s left for this process", ErrCannotProvision, m, w.ID)
}

func (p *listProvisioner) Return(context.Context, *T, string, placement, Role) {}

// apiProvisioner adds an interaction the workbin's user owns with the Add operation of its
// media (add-to-workbin), and takes it back once a spec pulled it out again.
type apiProvisioner struct {
	mu   sync.Mutex
	free []OwnedInteraction
}

func (p *apiProvisioner) Mode() ProvisioningMode { return ProvisionAPI }

func (p *apiProvisioner) take(owner Role, m spec.Media) (OwnedInteraction, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.free {
		if x.Owner == owner && x.Media == m {
			p.free = append(p.free[:i:i], p.free[i+1:]...)
			return x, true
		}
	}
	return OwnedInteraction{}, false
}

func (p *apiProvisioner) Place(_ context.Context, t *T, w WorkbinRef, m spec.Media) (string, error) {
	x, ok := p.take(w.Owner, m)
	if !ok {
		return "", fmt.Errorf("%w: no %s owned by %s is free (provisioning.owned; an interaction is free again once a spec pulled it back)", ErrCannotProvision, m, w.Owner)
	}
	mi, _ := spec.MediaOf(m)
	sess := t.user(w.Owner)
	ex := t.post(sess, formOf(w, formWorkbins), w, map[string]any{spec.FieldOperationName: mi.AddOperation, spec.FieldID: x.ID})
	if ex.Status != http.StatusOK {
		p.release(x.ID, x.Owner, m) // the Add changed nothing: it is still owned
		return "", fmt.Errorf("%s of owned %s %s to %s answered HTTP %d %s", mi.AddOperation, m, x.ID, w.Label, ex.Status, statusOf(ex))
	}
	t.notePlaced(x.ID, placement{workbin: w, media: m, owner: x.Owner}) // before any check can end the spec
	t.expectAccepted(sess, ex, mi.AddOperation+" (provisioning)")
	return x.ID, nil
}

// Return gives id back to its configured owner, so that the owner can add it again: as is
// when the owner holds it; by the supervisor's Add to the owner's workbin (D10) and the
// owner's pull when the supervisor pulled it; and when the suite did not see it pulled (the
// spec ended before, or a pull it did not expect was accepted), by the owner's pull from the
// workbin, else the owner's Add and pull, else the supervisor's. What cannot be given back
// is reported, and stays out of this run's pool.
func (p *apiProvisioner) Return(ctx context.Context, t *T, id string, pl placement, holder Role) {
	var err error
	switch holder {
	case pl.owner:
	case "":
		err = p.recoverUnseen(ctx, t, id, pl)
	case RoleSupervisor:
		var refused *addRefused
		if err = p.giveBack(ctx, t, id, pl, RoleSupervisor); errors.As(err, &refused) {
			p.release(id, RoleSupervisor, pl.media) // the Add changed nothing: still the supervisor's
		}
	default:
		// Another agent holds it: no operation hands it to someone else. It stays usable as
		// that agent's for the rest of the run.
		p.release(id, holder, pl.media)
		err = fmt.Errorf("%s holds it and cannot give it back", holder)
	}
	if err != nil {
		msg := fmt.Sprintf("api provisioning: %s %s was not given back to %s (provisioning.owned): %v; a later run may find it missing", pl.media, id, pl.owner, err)
		ginkgo.AddReportEntry("provisioning cleanup", t.s.mask.String(msg), ginkgo.ReportEntryVisibilityAlways)
		return
	}
	p.release(id, pl.owner, pl.media)
}

// recoverUnseen returns an interaction the suite did not see pulled: still in its workbin,
// the owner pulls it; else the owner may hold it (add and pull); else the supervisor may.
// It stops at the first way that works.
func (p *apiProvisioner) recoverUnseen(ctx context.Context, t *T, id string, pl placement) error {
	ways := []func() error{
		func() error { return p.pullBack(ctx, t, id, pl.workbin, pl.owner) },
		func() error { return p.giveBack(ctx, t, id, pl, pl.owner) },
	}
	if pl.owner != RoleSupervisor && t.s.opts.Supports(FeatureSupervisor) {
		ways = append(ways, func() error { return p.giveBack(ctx, t, id, pl, RoleSupervisor) })
	}
	var errs []error
	for _, way := range ways {
		err := way()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// pullBack has owner pull id out of w (any media: PullInteraction).
func (p *apiProvisioner) pullBack(ctx context.Context, t *T, id string, w WorkbinRef, owner Role) error {
	sess := t.cleanupSession(ctx, owner)
	if sess == nil {
		return fmt.Errorf("cannot log in as %s", owner)
	}
	path, q := t.workbinURL(formOf(w, formWorkbins), w)
	ex := sess.Do(ctx, http.MethodPost, path, pullBody(spec.PullInteraction, id), withQuery(q))
	if ex.Err != nil {
		return ex.Err
	}
	if ex.Status != http.StatusOK {
		return fmt.Errorf("%s's pull from %s answered HTTP %d %s", owner, w.Label, ex.Status, statusOf(ex))
	}
	return nil
}

// addRefused: the Add of giveBack was refused, so nothing changed (whoever held the
// interaction still does).
type addRefused struct{ err error }

func (e *addRefused) Error() string { return e.err.Error() }
func (e *addRefused) Unwrap() error { return e.err }

// giveBack has by (the owner, or the supervisor through /users/{ownerId}/workbins/{id},
// D10) add id to the owner's own workbin, and the owner pull it.
func (p *apiProvisioner) giveBack(ctx context.Context, t *T, id string, pl placement, by Role) error {
	w := pl.workbin
	if w.isGroup() || w.Owner != pl.owner {
		name := wbAgent
		if pl.owner == RoleAgent2 {
			name = wbAgent2
		}
		if w = t.s.info.workbin(name); w.ID == "" {
			return &addRefused{fmt.Errorf("%s has no workbin to give it back through", pl.owner)}
		}
	}
	sess := t.cleanupSession(ctx, by)
	if sess == nil {
		return &addRefused{fmt.Errorf("cannot log in as %s", by)}
	}
	form := formWorkbins
	if by != pl.owner {
		form = formUser
	}
	mi, _ := spec.MediaOf(pl.media)
	path, q := t.workbinURL(form, w)
	ex := sess.Do(ctx, http.MethodPost, path, map[string]any{spec.FieldOperationName: mi.AddOperation, spec.FieldID: id}, withQuery(q))
	if ex.Err != nil {
		return ex.Err // the Add may have happened
	}
	if ex.Status != http.StatusOK {
		return &addRefused{fmt.Errorf("%s's %s to %s answered HTTP %d %s", by, mi.AddOperation, w.Label, ex.Status, statusOf(ex))}
	}
	return p.pullBack(ctx, t, id, w, pl.owner)
}

// release puts id back into the pool as owned by role.
func (p *apiProvisioner) release(id string, role Role, m spec.Media) {
	if role != RoleAgent && role != RoleAgent2 && role != RoleSupervisor {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, OwnedInteraction{ID: id, Media: m, Owner: role})
	p.mu.Unlock()
}
