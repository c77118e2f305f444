package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

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
	// Reclaim says the suite left interaction id owned by role (it pulled it): the api
	// mode can add it to a workbin again.
	Reclaim(id string, role Role, m spec.Media)
}

// newProvisioner builds the provisioner of o for parallel process proc of total (1-based):
// list and api modes take every total-th configured interaction, so processes never
// share one.
func newProvisioner(o *Options, proc, total int) provisioner {
	switch o.Provisioning.Mode {
	case ProvisionList:
		p := &listProvisioner{}
		for i, x := range o.Provisioning.Interactions {
			if i%total == proc-1 {
				p.free = append(p.free, x)
			}
		}
		return p
	case ProvisionAPI:
		p := &apiProvisioner{}
		for i, x := range o.Provisioning.Owned {
			if i%total == proc-1 {
				p.free = append(p.free, x)
			}
		}
		return p
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

func (a *adminProvisioner) Reclaim(string, Role, spec.Media) {}

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

func (p *listProvisioner) Reclaim(string, Role, spec.Media) {}

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
		p.Reclaim(x.ID, x.Owner, m) // the Add changed nothing: it is still owned
		return "", fmt.Errorf("%s of owned %s %s to %s answered HTTP %d %s", mi.AddOperation, m, x.ID, w.Label, ex.Status, statusOf(ex))
	}
	t.expectAccepted(sess, ex, mi.AddOperation+" (provisioning)")
	return x.ID, nil
}

func (p *apiProvisioner) Reclaim(id string, role Role, m spec.Media) {
	if role != RoleAgent && role != RoleAgent2 && role != RoleSupervisor {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, OwnedInteraction{ID: id, Media: m, Owner: role})
	p.mu.Unlock()
}
