package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"

	// go.yaml.in/yaml/v4 is already in the build (kin-openapi links it), so the YAML config
	// costs no new dependency.
	yaml "go.yaml.in/yaml/v4"
)

// Options is everything a run of the suite can be told. Build it with DefaultOptions, then
// LoadConfigFile, then the flags (Flags.Options does the three in order). The zero value is
// not usable.
type Options struct {
	// Target is the base URL of the implementation, without /api/v2 (https://gws.example:8443).
	Target string `json:"target" yaml:"target"`
	// CometDPath is the Bayeux endpoint's path on the target (spec.CometDPath).
	CometDPath string `json:"cometdPath" yaml:"cometdPath"`
	// Implementation names what is tested, for the report.
	Implementation Implementation `json:"implementation" yaml:"implementation"`
	// Users are the accounts the suite logs in with.
	Users Users `json:"users" yaml:"users"`
	// Workbins says which workbins the specs use.
	Workbins Workbins `json:"workbins" yaml:"workbins"`
	// Features are the features the target claims. The core features are always added.
	Features []Feature `json:"features" yaml:"features"`
	// Provisioning says how an interaction gets into a workbin before a pull.
	Provisioning Provisioning `json:"provisioning" yaml:"provisioning"`
	// Timeouts bounds every kind of wait.
	Timeouts Timeouts `json:"timeouts" yaml:"timeouts"`
	// Deadline bounds the whole run (DefaultDeadline): when it elapses the run stops, the
	// specs that did not run are reported as not run, and the reports are written.
	Deadline Duration `json:"deadline" yaml:"deadline"`
	// TLS configures HTTPS targets.
	TLS TLS `json:"tls" yaml:"tls"`
	// Strict holds the target to the mock's choices where the Genesys documentation is
	// silent (decisions.md): exact statusCodes and HTTP statuses of the D3 table, exact
	// capability order, the D6/D9 error texts. Off: the documented tolerances apply.
	Strict bool `json:"strict" yaml:"strict"`
	// Reports says where the conformance report is written.
	Reports Reports `json:"reports" yaml:"reports"`
}

// Implementation identifies the tested implementation in the report (Gateway API's shape).
type Implementation struct {
	Organization string   `json:"organization,omitempty" yaml:"organization"`
	Project      string   `json:"project,omitempty" yaml:"project"`
	URL          string   `json:"url,omitempty" yaml:"url"`
	Version      string   `json:"version,omitempty" yaml:"version"`
	Contact      []string `json:"contact,omitempty" yaml:"contact"`
}

// Users are the accounts of the run.
type Users struct {
	// Agent is the main agent (api-multimedia, an Agent workbin).
	Agent Credentials `json:"agent" yaml:"agent"`
	// Agent2 is a second agent: isolation checks, another agent's workbin, supervisor pulls.
	Agent2 Credentials `json:"agent2" yaml:"agent2"`
	// Supervisor has the supervisor role (feature supervisor).
	Supervisor Credentials `json:"supervisor" yaml:"supervisor"`
	// NoMultimedia is a user without api-multimedia (feature multimedia-gate).
	NoMultimedia Credentials `json:"noMultimedia" yaml:"noMultimedia"`
}

// Credentials are HTTP Basic credentials. PasswordEnv names an environment variable that
// holds the password (so CI secrets stay out of files); it wins over Password.
type Credentials struct {
	User        string `json:"user" yaml:"user"`
	Password    string `json:"password,omitempty" yaml:"password"`
	PasswordEnv string `json:"passwordEnv,omitempty" yaml:"passwordEnv"`
}

// Workbins names the workbins the specs use. Empty ids are discovered: the first workbin
// of type Agent that GET /api/v2/me/workbins?fields=* lists for the user.
type Workbins struct {
	Agent string `json:"agent" yaml:"agent"`
	// AgentPlace is a second workbin of the agent (the first of type Place by default),
	// used where a spec needs an interaction outside the agent's workbin.
	AgentPlace string       `json:"agentPlace" yaml:"agentPlace"`
	Agent2     string       `json:"agent2" yaml:"agent2"`
	AgentGroup GroupWorkbin `json:"agentGroup" yaml:"agentGroup"`
	PlaceGroup GroupWorkbin `json:"placeGroup" yaml:"placeGroup"`
}

// GroupWorkbin is a group workbin both agents can reach: the group name goes into
// ?agentGroup= or ?placeGroup=, the id into the path.
type GroupWorkbin struct {
	Group   string `json:"group" yaml:"group"`
	Workbin string `json:"workbin" yaml:"workbin"`
}

// ProvisioningMode says how interactions get into workbins.
type ProvisioningMode string

// Provisioning modes.
const (
	// ProvisionAdmin creates interactions through the workbinkit mock's admin API.
	ProvisionAdmin ProvisioningMode = "admin"
	// ProvisionList consumes interactions the vendor placed beforehand (Provisioning.Interactions).
	ProvisionList ProvisioningMode = "list"
	// ProvisionAPI adds interactions the users own (Provisioning.Owned) with the Add
	// operations; needs the add-to-workbin feature.
	ProvisionAPI ProvisioningMode = "api"
)

// Provisioning configures how interactions get into workbins.
type Provisioning struct {
	Mode ProvisioningMode `json:"mode" yaml:"mode"`
	// AdminPath is the mock's admin API prefix (admin mode and configurable-options).
	AdminPath string `json:"adminPath" yaml:"adminPath"`
	// AdminToken is sent as a bearer token to the admin API (needed when the mock is not
	// on loopback); AdminTokenEnv names an environment variable holding it.
	AdminToken    string `json:"adminToken,omitempty" yaml:"adminToken"`
	AdminTokenEnv string `json:"adminTokenEnv,omitempty" yaml:"adminTokenEnv"`
	// Interactions (list mode) were placed by the vendor before the run; each is used by
	// one spec at most.
	Interactions []PlacedInteraction `json:"interactions,omitempty" yaml:"interactions"`
	// Owned (api mode) are interactions the users own, outside any workbin; the suite adds
	// them to workbins and pulls them back, so they can be reused.
	Owned []OwnedInteraction `json:"owned,omitempty" yaml:"owned"`
	// Command (command mode) is the program and its arguments that place one interaction
	// (hook.go has the protocol). A program path with a slash in it is relative to the
	// config file; a bare name is looked up on PATH.
	Command []string `json:"command,omitempty" yaml:"command"`
	// Webhook (webhook mode) is where the same requests are POSTed.
	Webhook Webhook `json:"webhook,omitzero" yaml:"webhook"`
}

// PlacedInteraction is an interaction already in a workbin.
type PlacedInteraction struct {
	ID      string     `json:"id" yaml:"id"`
	Media   spec.Media `json:"media" yaml:"media"`
	Workbin string     `json:"workbin" yaml:"workbin"`
}

// OwnedInteraction is an interaction a user owns; Owner is a role: agent, agent2 or supervisor.
type OwnedInteraction struct {
	ID    string     `json:"id" yaml:"id"`
	Media spec.Media `json:"media" yaml:"media"`
	Owner Role       `json:"owner" yaml:"owner"`
}

// Role names one of the configured users.
type Role string

// Roles of the run.
const (
	RoleAgent        Role = "agent"
	RoleAgent2       Role = "agent2"
	RoleSupervisor   Role = "supervisor"
	RoleNoMultimedia Role = "noMultimedia"
)

// Roles lists the roles in a stable order.
func Roles() []Role { return []Role{RoleAgent, RoleAgent2, RoleSupervisor, RoleNoMultimedia} }

// Credentials returns the credentials of a role.
func (u *Users) Credentials(r Role) *Credentials {
	switch r {
	case RoleAgent:
		return &u.Agent
	case RoleAgent2:
		return &u.Agent2
	case RoleSupervisor:
		return &u.Supervisor
	case RoleNoMultimedia:
		return &u.NoMultimedia
	}
	return nil
}

// Timeouts names one bound per kind of wait (YAML and flags take "30s", "250ms").
type Timeouts struct {
	// Request bounds one HTTP request (REST, admin API, Bayeux except held connects).
	Request Duration `json:"request" yaml:"request"`
	// Notification bounds the wait for a CometD event after the request that causes it.
	Notification Duration `json:"notification" yaml:"notification"`
	// Consistency bounds the wait for workbin content to reflect an accepted change (the
	// suite polls; a target may apply a pull shortly after its HTTP reply).
	Consistency Duration `json:"consistency" yaml:"consistency"`
	// Quiet is the window in which something must NOT happen (a held connect stays held).
	Quiet Duration `json:"quiet" yaml:"quiet"`
	// Immediate bounds a Bayeux reply that must come at once (handshake, first connect).
	Immediate Duration `json:"immediate" yaml:"immediate"`
	// Provision bounds getting one interaction into a workbin.
	Provision Duration `json:"provision" yaml:"provision"`
	// Spec bounds one whole spec.
	Spec Duration `json:"spec" yaml:"spec"`
	// Poll is the polling interval of every wait.
	Poll Duration `json:"poll" yaml:"poll"`
}

// timeoutFields maps the YAML/flag names of the timeouts to the fields. Used by
// --timeouts overrides so unknown names are errors.
func (t *Timeouts) fields() map[string]*Duration {
	return map[string]*Duration{
		"request": &t.Request, "notification": &t.Notification, "consistency": &t.Consistency,
		"quiet": &t.Quiet, "immediate": &t.Immediate, "provision": &t.Provision,
		"spec": &t.Spec, "poll": &t.Poll,
	}
}

// DefaultTimeouts are generous for a lab target and fast enough for the mock. Request
// (10 s) bounds every set-up call as well: a GWS answers GET /api/v2/me in well under a
// second, a cold or loaded lab in a few, so 10 s leaves room for a slow lab while a
// target that accepts connections but never answers is reported after 10 s (the set-up
// calls run in parallel, so not several times that).
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Request:      Duration(10 * time.Second),
		Notification: Duration(10 * time.Second),
		Consistency:  Duration(5 * time.Second),
		Quiet:        Duration(300 * time.Millisecond),
		Immediate:    Duration(3 * time.Second),
		Provision:    Duration(10 * time.Second),
		Spec:         Duration(2 * time.Minute),
		Poll:         Duration(20 * time.Millisecond),
	}
}

// DefaultDeadline bounds a run. It is go test's own default -timeout, so the binary and
// go test stop at the same point; far above a healthy run (the mock: about 5 s, a lab a
// few minutes with slow notifications), and well inside CI job limits (GitLab: 1 h by
// default, GitHub Actions: 6 h), so a stuck run still ends with its reports in time for
// the job's artefact step.
const DefaultDeadline = 10 * time.Minute

// ApplyOverrides reads "name=duration,name=duration" ("notification=20s,quiet=1s").
// Unknown names and malformed durations are errors.
func (t *Timeouts) ApplyOverrides(s string) error {
	fields := t.fields()
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("timeout override %q: want name=duration", kv)
		}
		f, ok := fields[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown timeout %q (known: %s)", name, strings.Join(sortedTimeoutNames(fields), ", "))
		}
		if err := f.UnmarshalText([]byte(strings.TrimSpace(val))); err != nil {
			return fmt.Errorf("timeout %s: %w", name, err)
		}
	}
	return nil
}

func sortedTimeoutNames(m map[string]*Duration) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Duration is a time.Duration written as "30s" in YAML, JSON and flags.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes "30s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes "30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a positive Go duration ("30s", "1m30s", "250ms").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s or 250ms", string(b))
	}
	if v <= 0 {
		return fmt.Errorf("duration %q must be positive", string(b))
	}
	*d = Duration(v)
	return nil
}

// TLS configures HTTPS targets.
type TLS struct {
	// CAFile is a PEM file of extra root certificates (a lab CA).
	CAFile string `json:"caFile,omitempty" yaml:"caFile"`
	// InsecureSkipVerify accepts any server certificate (test labs only).
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty" yaml:"insecureSkipVerify"`
}

// Reports says where the conformance report goes ("" = not written).
type Reports struct {
	JSON     string `json:"json" yaml:"json"`
	Markdown string `json:"markdown" yaml:"markdown"`
	// JUnit and GinkgoJSON are Ginkgo's JUnit and JSON reports, written by the suite
	// with the others, before the process exits (report_ginkgo.go). Empty: not written.
	JUnit      string `json:"junit,omitempty" yaml:"junit"`
	GinkgoJSON string `json:"ginkgoJson,omitempty" yaml:"ginkgoJson"`
	// RulesURL is the address of docs/rules.md that rule ids link to
	// ("https://…/docs/rules.md"). Empty: rules.md is written beside each report and the
	// links are relative to it, so they work offline, wherever the reports are copied.
	RulesURL string `json:"rulesUrl,omitempty" yaml:"rulesUrl"`
}

// BaseOptions are the defaults of a run with a --config file: every feature claimed, the
// admin provisioning path, the default timeouts and report files, and no users, workbins or
// implementation name. A config file names its own accounts; the mock's never leak into it.
func BaseOptions() Options {
	return Options{
		CometDPath:   spec.CometDPath,
		Features:     normalizeFeatures(AllFeatures()),
		Provisioning: Provisioning{Mode: ProvisionAdmin, AdminPath: DefaultAdminPath},
		Timeouts:     DefaultTimeouts(),
		Deadline:     Duration(DefaultDeadline),
		Reports:      Reports{JSON: DefaultReportJSON, Markdown: DefaultReportMarkdown},
	}
}

// Default report files, relative to the working directory (see Flags: --workdir).
const (
	DefaultReportJSON     = "conformance-report.json"
	DefaultReportMarkdown = "conformance-report.md"
)

// DefaultOptions fit the workbinkit mock with its built-in fixtures: BaseOptions plus the
// mock's users and group workbins. They apply only to a run without a config file (only
// --target and flags). Only Target is left empty.
func DefaultOptions() (Options, error) {
	set, err := fixtures.Builtin()
	if err != nil {
		return Options{}, fmt.Errorf("conformance: built-in fixtures: %w", err)
	}
	o := BaseOptions()
	if err := o.defaultsFromFixtures(set); err != nil {
		return Options{}, err
	}
	return o, nil
}

// DefaultAdminPath is where the workbinkit mock serves its admin API.
const DefaultAdminPath = "/_mock"

// defaultsFromFixtures picks the users and group workbins of the mock's fixtures: the two
// agents that have api-multimedia and an Agent workbin (by name), a supervisor, a user
// without api-multimedia, and the first group workbins of the main agent's groups.
func (o *Options) defaultsFromFixtures(set *fixtures.Set) error {
	var agents []fixtures.User
	for _, u := range set.Users {
		if u.IsSupervisor() {
			if o.Users.Supervisor.User == "" && u.HasFeature(spec.FeatureMultimedia) {
				o.Users.Supervisor = Credentials{User: u.Name, Password: u.Password}
			}
			continue
		}
		if !u.HasFeature(spec.FeatureMultimedia) {
			if o.Users.NoMultimedia.User == "" {
				o.Users.NoMultimedia = Credentials{User: u.Name, Password: u.Password}
			}
			continue
		}
		if hasWorkbin(set, spec.WorkbinAgent, u.Name) {
			agents = append(agents, u)
		}
	}
	if len(agents) < 2 || o.Users.Supervisor.User == "" {
		return errors.New("conformance: the built-in fixtures lack two agents with workbins and a supervisor")
	}
	o.Users.Agent = Credentials{User: agents[0].Name, Password: agents[0].Password}
	o.Users.Agent2 = Credentials{User: agents[1].Name, Password: agents[1].Password}
	o.Workbins.AgentGroup = firstGroupWorkbin(set, spec.WorkbinAgentGroup, agents[0].AgentGroups)
	o.Workbins.PlaceGroup = firstGroupWorkbin(set, spec.WorkbinPlaceGroup, agents[0].PlaceGroups)
	return nil
}

func hasWorkbin(set *fixtures.Set, typ, owner string) bool {
	for _, w := range set.Workbins {
		if w.Type == typ && w.Owner == owner {
			return true
		}
	}
	return false
}

func firstGroupWorkbin(set *fixtures.Set, typ string, groups []string) GroupWorkbin {
	for _, g := range groups {
		for _, w := range set.Workbins {
			if w.Type == typ && w.Owner == g {
				return GroupWorkbin{Group: g, Workbin: w.ID}
			}
		}
	}
	return GroupWorkbin{}
}

// LoadConfigFile applies a YAML config file on top of o. Keys the Options do not have are
// errors (a misspelt key must not be silently ignored), as are unknown features. Relative
// paths in the file (tls.caFile, reports.json, reports.markdown) are relative to the file's
// directory.
func (o *Options) LoadConfigFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("conformance: config: %w", err)
	}
	if err := o.loadConfig(path, data); err != nil {
		return err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("conformance: config: %w", err)
	}
	return o.resolveConfigPaths(dir, data)
}

// resolveConfigPaths makes the relative paths the file itself sets absolute against dir
// (values the file does not set, such as the default report names, stay as they are).
func (o *Options) resolveConfigPaths(dir string, data []byte) error {
	var set struct {
		TLS struct {
			CAFile *string `yaml:"caFile"`
		} `yaml:"tls"`
		Reports struct {
			JSON       *string `yaml:"json"`
			Markdown   *string `yaml:"markdown"`
			JUnit      *string `yaml:"junit"`
			GinkgoJSON *string `yaml:"ginkgoJson"`
		} `yaml:"reports"`
		Provisioning struct {
			Command []string `yaml:"command"`
		} `yaml:"provisioning"`
	}
	// The strict decode of loadConfig accepted the file; this one reads only the path keys above.
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&set); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("conformance: config: %w", err)
	}
	for _, p := range []struct {
		inFile *string
		field  *string
	}{{set.TLS.CAFile, &o.TLS.CAFile}, {set.Reports.JSON, &o.Reports.JSON}, {set.Reports.Markdown, &o.Reports.Markdown},
		{set.Reports.JUnit, &o.Reports.JUnit}, {set.Reports.GinkgoJSON, &o.Reports.GinkgoJSON}} {
		if p.inFile != nil {
			*p.field = resolvePath(dir, *p.field)
		}
	}
	if c := o.Provisioning.Command; len(set.Provisioning.Command) > 0 && strings.ContainsAny(c[0], `/\`) {
		c[0] = resolvePath(dir, c[0]) // ./hooks/place.sh beside the file; a bare name stays for PATH
	}
	return nil
}

// resolvePath makes p absolute against dir; "" (not set / not written) and absolute paths
// stay as they are, as does p when dir is "".
func resolvePath(dir, p string) string {
	if p == "" || dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (o *Options) loadConfig(name string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// Decode into a copy so a broken file changes nothing.
	next := *o
	if err := dec.Decode(&next); err != nil && !errors.Is(err, io.EOF) { // an empty file is no error
		return fmt.Errorf("conformance: config %s: %w", name, err)
	}
	for _, f := range next.Features {
		if f != "all" && !f.Known() {
			return fmt.Errorf("conformance: config %s: unknown feature %q (known: all, %s)", name, f, featureNames(AllFeatures()))
		}
	}
	if slices.Contains(next.Features, "all") {
		next.Features = AllFeatures()
	}
	next.Features = normalizeFeatures(next.Features)
	*o = next
	return nil
}

// Resolve reads the *Env fields from the environment (getenv is os.Getenv in production).
func (o *Options) Resolve(getenv func(string) string) error {
	for _, r := range Roles() {
		c := o.Users.Credentials(r)
		if c.PasswordEnv == "" {
			continue
		}
		v := getenv(c.PasswordEnv)
		if v == "" {
			return fmt.Errorf("conformance: users.%s.passwordEnv: %s is empty or unset", r, c.PasswordEnv)
		}
		c.Password = v
	}
	if o.Provisioning.AdminTokenEnv != "" {
		v := getenv(o.Provisioning.AdminTokenEnv)
		if v == "" {
			return fmt.Errorf("conformance: provisioning.adminTokenEnv: %s is empty or unset", o.Provisioning.AdminTokenEnv)
		}
		o.Provisioning.AdminToken = v
	}
	return o.resolveHook(getenv)
}

// Supports reports whether the target declares f.
func (o *Options) Supports(f Feature) bool { return slices.Contains(o.Features, f) }

// Validate checks the options before any request is sent. The errors name the field; the
// error is a *UsageError (a mistake in the flags or the config file).
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if o.Target == "" {
		bad("target: not set (--target https://host:port)")
	} else if u, err := url.Parse(o.Target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("target %q: want an http(s) base URL such as https://gws.example:8443", o.Target)
	}
	if !strings.HasPrefix(o.CometDPath, "/") {
		bad("cometdPath %q: must start with /", o.CometDPath)
	}
	for _, f := range o.Features {
		if !f.Known() {
			bad("features: unknown feature %q", f)
		}
	}
	need := map[Role]bool{RoleAgent: true, RoleAgent2: true}
	if o.Supports(FeatureSupervisor) {
		need[RoleSupervisor] = true
	}
	if o.Supports(FeatureMultimediaGate) {
		need[RoleNoMultimedia] = true
	}
	for _, r := range Roles() {
		c := o.Users.Credentials(r)
		if need[r] && (c.User == "" || c.Password == "") {
			bad("users.%s: user and password are needed", r)
		}
	}
	if o.Users.Agent.User != "" && o.Users.Agent.User == o.Users.Agent2.User {
		bad("users.agent2: must be another user than users.agent")
	}
	if o.Supports(FeatureGroupWorkbins) {
		if o.Workbins.AgentGroup.Group == "" || o.Workbins.AgentGroup.Workbin == "" {
			bad("workbins.agentGroup: group and workbin are needed for feature group-workbins")
		}
		if o.Workbins.PlaceGroup.Group == "" || o.Workbins.PlaceGroup.Workbin == "" {
			bad("workbins.placeGroup: group and workbin are needed for feature group-workbins")
		}
	}
	switch o.Provisioning.Mode {
	case ProvisionAdmin:
		if !strings.HasPrefix(o.Provisioning.AdminPath, "/") {
			bad("provisioning.adminPath %q: must start with /", o.Provisioning.AdminPath)
		}
	case ProvisionList:
		if len(o.Provisioning.Interactions) == 0 {
			bad("provisioning.interactions: list mode needs the interactions placed beforehand")
		}
		for i, p := range o.Provisioning.Interactions {
			if p.ID == "" || p.Workbin == "" {
				bad("provisioning.interactions[%d]: id and workbin are needed", i)
			}
			if _, ok := spec.MediaOf(p.Media); !ok {
				bad("provisioning.interactions[%d]: unknown media %q (workitem, chat, email)", i, p.Media)
			}
		}
	case ProvisionAPI:
		if !o.Supports(FeatureAddToWorkbin) {
			bad("provisioning.mode api adds interactions with the Add operations: declare feature add-to-workbin")
		}
		if len(o.Provisioning.Owned) == 0 {
			bad("provisioning.owned: api mode needs interactions the users own")
		}
		for i, p := range o.Provisioning.Owned {
			if p.ID == "" {
				bad("provisioning.owned[%d]: id is needed", i)
			}
			if _, ok := spec.MediaOf(p.Media); !ok {
				bad("provisioning.owned[%d]: unknown media %q (workitem, chat, email)", i, p.Media)
			}
			if p.Owner != RoleAgent && p.Owner != RoleAgent2 && p.Owner != RoleSupervisor {
				bad("provisioning.owned[%d]: owner %q must be agent, agent2 or supervisor", i, p.Owner)
			}
		}
	case ProvisionCommand, ProvisionWebhook:
		o.validateHook(bad)
	default:
		bad("provisioning.mode %q: want admin, list, api, command or webhook", o.Provisioning.Mode)
	}
	for name, d := range o.Timeouts.fields() {
		if *d <= 0 {
			bad("timeouts.%s: must be positive", name)
		}
	}
	if o.Deadline <= 0 {
		bad("deadline: must be positive (--deadline 10m)")
	}
	if o.TLS.CAFile != "" {
		// Built here, not first when the target or a webhook is called: a file that
		// holds no certificate is a mistake in the config (exit 2), not a set-up failure.
		if _, err := tlsConfig(&o.TLS); err != nil {
			bad("%s", strings.TrimPrefix(err.Error(), "conformance: "))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if len(errs) > 0 {
		return &UsageError{fmt.Errorf("conformance: invalid options: %w", errors.Join(errs...))}
	}
	return nil
}

// Mode is "strict" or "tolerant", for reports.
func (o *Options) Mode() string {
	if o.Strict {
		return "strict"
	}
	return "tolerant"
}
