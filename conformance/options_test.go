package conformance

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

func TestDefaultOptionsFitTheMock(t *testing.T) {
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	set, err := fixtures.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Features, normalizeFeatures(AllFeatures())) {
		t.Errorf("features %v: the mock claims every feature", o.Features)
	}
	for _, r := range []Role{RoleAgent, RoleAgent2, RoleSupervisor, RoleNoMultimedia} {
		c := o.Users.Credentials(r)
		u, ok := set.User(c.User)
		if !ok || u.Password != c.Password {
			t.Errorf("users.%s = %q: not a fixture user with its password", r, c.User)
			continue
		}
		switch r {
		case RoleSupervisor:
			if !u.IsSupervisor() {
				t.Errorf("users.supervisor %s is no supervisor", u.Name)
			}
		case RoleNoMultimedia:
			if u.HasFeature(spec.FeatureMultimedia) {
				t.Errorf("users.noMultimedia %s has api-multimedia", u.Name)
			}
		default:
			if !u.HasFeature(spec.FeatureMultimedia) || u.IsSupervisor() {
				t.Errorf("users.%s %s is not a multimedia agent", r, u.Name)
			}
		}
	}
	for _, g := range []struct {
		w   GroupWorkbin
		typ string
	}{{o.Workbins.AgentGroup, spec.WorkbinAgentGroup}, {o.Workbins.PlaceGroup, spec.WorkbinPlaceGroup}} {
		w, ok := set.Workbin(g.w.Workbin)
		if !ok || w.Type != g.typ || w.Owner != g.w.Group {
			t.Errorf("group workbin %+v is not a %s workbin of that group in the fixtures", g.w, g.typ)
		}
	}
	if o.Provisioning.Mode != ProvisionAdmin || o.Provisioning.AdminPath != spec.AdminBasePath || o.CometDPath != spec.CometDPath {
		t.Errorf("provisioning %+v, cometdPath %q", o.Provisioning, o.CometDPath)
	}
	o.Target = "http://127.0.0.1:8090"
	if err := o.Validate(); err != nil {
		t.Errorf("defaults with only a target: %v", err)
	}
}

// parse registers the flags on a fresh set and parses args, as a test binary does.
func parse(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	f := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "conformance.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrecedence: defaults, then the YAML file, then only the flags actually set.
func TestPrecedence(t *testing.T) {
	cfg := writeConfig(t, `
target: https://from-file.example
strict: true
features: [pull-chat, csrf]
users:
  agent: {user: alice, password: alice-secret}
timeouts:
  notification: 20s
  quiet: 2s
tls:
  insecureSkipVerify: true
implementation:
  organization: Example Corp
  project: gws-clone
  version: "1.2"
`)
	f := parse(t, "--config", cfg, "--target", "https://from-flag.example", "--timeouts", "quiet=750ms")
	o, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultTimeouts()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"target (flag over file)", o.Target, "https://from-flag.example"},
		{"strict (file; the unset flag's default must not win)", o.Strict, true},
		{"insecureSkipVerify (file)", o.TLS.InsecureSkipVerify, true},
		{"features (file, core added)", o.Features, []Feature{FeatureCSRF, FeaturePullChat, FeaturePullWorkitem}},
		{"agent user (file)", o.Users.Agent.User, "alice"},
		{"agent2 (a config file: no mock default)", o.Users.Agent2.User, ""},
		{"notification (file)", o.Timeouts.Notification.D(), 20 * time.Second},
		{"quiet (flag over file)", o.Timeouts.Quiet.D(), 750 * time.Millisecond},
		{"request (default)", o.Timeouts.Request, def.Request},
		{"implementation (file)", o.Implementation.Project, "gws-clone"},
		{"cometdPath (default)", o.CometDPath, spec.CometDPath},
	} {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// An explicitly set boolean flag overrides the file in both directions.
	o, err = parse(t, "--config", cfg, "--strict=false").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Strict {
		t.Error("--strict=false did not override strict: true of the file")
	}
}

func equalAny(a, b any) bool {
	if fa, ok := a.([]Feature); ok {
		fb, _ := b.([]Feature)
		return slices.Equal(fa, fb)
	}
	return a == b
}

// TestNoSilentDrops: unknown keys, features and timeouts are errors.
func TestNoSilentDrops(t *testing.T) {
	for _, c := range []struct {
		name string
		yaml string
		args []string
		want string
	}{
		{"unknown top-level key", "targt: http://x\n", nil, "targt"},
		{"unknown nested key", "timeouts:\n  notifcation: 3s\n", nil, "notifcation"},
		{"unknown feature in file", "features: [pull-chats]\n", nil, `unknown feature "pull-chats"`},
		{"malformed duration", "timeouts:\n  quiet: soon\n", nil, "not a duration"},
		{"negative duration", "timeouts:\n  quiet: -1s\n", nil, "must be positive"},
		{"unknown feature flag", "", []string{"--features", "pull-chat,grouping"}, `unknown feature "grouping"`},
		{"unknown timeout flag", "", []string{"--timeouts", "notification=2s,nap=1s"}, `unknown timeout "nap"`},
		{"timeout flag without =", "", []string{"--timeouts", "notification"}, "want name=duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.yaml != "" {
				args = append([]string{"--config", writeConfig(t, c.yaml)}, args...)
			}
			_, err := parse(t, args...).Options()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestMockDefaultsOnlyWithoutConfig: with only --target the mock's users and workbins
// apply; a config file replaces them entirely, so what it claims but lacks is reported
// instead of being filled with the mock's accounts.
func TestMockDefaultsOnlyWithoutConfig(t *testing.T) {
	o, err := parse(t, "--target", "http://127.0.0.1:8090").Options()
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("only --target (make conform TARGET=…): %v", err)
	}
	cfg := writeConfig(t, `
features: [supervisor, multimedia-gate, group-workbins]
users:
  agent: {user: cf_agent1, password: a}
  agent2: {user: cf_agent2, password: b}
`)
	o, err = parse(t, "--config", cfg, "--target", "https://gws.lab:8443").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Users.Supervisor.User != "" || o.Users.NoMultimedia.User != "" || o.Workbins.AgentGroup.Workbin != "" || o.Implementation.Project != "" {
		t.Errorf("mock defaults leaked into a config run: users %+v, workbins %+v, implementation %+v", o.Users, o.Workbins, o.Implementation)
	}
	err = o.Validate()
	for _, want := range []string{"users.supervisor", "users.noMultimedia", "workbins.agentGroup", "workbins.placeGroup"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to name %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "users.agent:") {
		t.Errorf("Validate blames the configured agent: %v", err)
	}
}

// TestRelativePaths: paths inside the config file are relative to the file; --config,
// path flags and the default reports are relative to --workdir when it is given.
func TestRelativePaths(t *testing.T) {
	confDir, workDir := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(confDir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestCA(t, filepath.Join(confDir, "certs", "lab-ca.pem"))
	yml := "users:\n  agent: {user: a, password: a}\n  agent2: {user: b, password: b}\nfeatures: [bayeux]\n" +
		"tls: {caFile: certs/lab-ca.pem}\nreports: {json: out/r.json}\n"
	if err := os.WriteFile(filepath.Join(confDir, "vendor.yaml"), []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	// --config relative to --workdir (confDir), as make conform passes $(CURDIR).
	o, err := parse(t, "--workdir", confDir, "--config", "vendor.yaml", "--target", "https://gws.lab:8443").Options()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"tls.caFile (file-relative)", o.TLS.CAFile, filepath.Join(confDir, "certs", "lab-ca.pem")},
		{"reports.json (file-relative)", o.Reports.JSON, filepath.Join(confDir, "out", "r.json")},
		{"reports.markdown (default, workdir-relative)", o.Reports.Markdown, filepath.Join(confDir, DefaultReportMarkdown)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// Flags' paths are relative to --workdir, not to the file.
	o, err = parse(t, "--workdir", workDir, "--config", filepath.Join(confDir, "vendor.yaml"),
		"--report-json", "mine.json", "--ca-file", "ca.pem").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Reports.JSON != filepath.Join(workDir, "mine.json") || o.TLS.CAFile != filepath.Join(workDir, "ca.pem") {
		t.Errorf("flag paths: %q %q", o.Reports.JSON, o.TLS.CAFile)
	}
	// Without --workdir and without a file nothing changes: relative to the process.
	o, err = parse(t, "--target", "http://127.0.0.1:1").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Reports.JSON != DefaultReportJSON {
		t.Errorf("default report %q", o.Reports.JSON)
	}
	if _, err := parse(t, "--workdir", workDir, "--config", "vendor.yaml").Options(); err == nil || !strings.Contains(err.Error(), filepath.Join(workDir, "vendor.yaml")) {
		t.Errorf("a --config missing from --workdir: %v", err)
	}
}

func TestFeaturesAllAndCore(t *testing.T) {
	fs, err := ParseFeatures("all")
	if err != nil || len(fs) != len(AllFeatures()) {
		t.Fatalf("all: %v %v", fs, err)
	}
	fs, err = ParseFeatures(" bayeux , csrf,bayeux ")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Feature{FeatureBayeux, FeatureCSRF, FeaturePullWorkitem}; !slices.Equal(fs, want) {
		t.Errorf("got %v, want %v (sorted, deduplicated, core added)", fs, want)
	}
	if _, err := ParseFeatures("pull-workitem,nope"); err == nil || !strings.Contains(err.Error(), "known: all, pull-workitem") {
		t.Errorf("unknown feature: %v", err)
	}
}

func TestPasswordEnv(t *testing.T) {
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	o.Users.Agent.PasswordEnv = "AGENT_PW"
	o.Provisioning.AdminTokenEnv = "ADMIN_TOKEN"
	env := map[string]string{"AGENT_PW": "s3cret-pw", "ADMIN_TOKEN": "tok-123"}
	if err := o.Resolve(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if o.Users.Agent.Password != "s3cret-pw" || o.Provisioning.AdminToken != "tok-123" {
		t.Errorf("got %q %q", o.Users.Agent.Password, o.Provisioning.AdminToken)
	}
	o.Users.Agent.PasswordEnv = ""
	o.Users.Agent2.PasswordEnv = "UNSET_PW"
	if err := o.Resolve(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "UNSET_PW") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestValidate(t *testing.T) {
	base, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	base.Target = "http://127.0.0.1:8090"
	for _, c := range []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"no target", func(o *Options) { o.Target = "" }, "target: not set"},
		{"not http", func(o *Options) { o.Target = "ftp://x" }, "want an http(s) base URL"},
		{"query in target", func(o *Options) { o.Target = "http://x/?a=1" }, "want an http(s) base URL"},
		{"cometd path", func(o *Options) { o.CometDPath = "api/v2/notifications" }, "cometdPath"},
		{"same agents", func(o *Options) { o.Users.Agent2 = o.Users.Agent }, "another user"},
		{"no supervisor", func(o *Options) { o.Users.Supervisor = Credentials{} }, "users.supervisor"},
		{"mode", func(o *Options) { o.Provisioning.Mode = "magic" }, "want admin, list, api, command or webhook"},
		{"empty list", func(o *Options) { o.Provisioning.Mode = ProvisionList }, "list mode needs"},
		{"list media", func(o *Options) {
			o.Provisioning.Mode = ProvisionList
			o.Provisioning.Interactions = []PlacedInteraction{{ID: "x", Media: "fax", Workbin: "w"}}
		}, `unknown media "fax"`},
		{"api without add", func(o *Options) {
			o.Provisioning.Mode = ProvisionAPI
			o.Features = normalizeFeatures([]Feature{FeaturePullChat})
			o.Provisioning.Owned = []OwnedInteraction{{ID: "x", Media: spec.MediaWorkitem, Owner: RoleAgent}}
		}, "declare feature add-to-workbin"},
		{"api owner", func(o *Options) {
			o.Provisioning.Mode = ProvisionAPI
			o.Provisioning.Owned = []OwnedInteraction{{ID: "x", Media: spec.MediaWorkitem, Owner: "boss"}}
		}, `owner "boss"`},
		{"group workbin", func(o *Options) { o.Workbins.PlaceGroup = GroupWorkbin{} }, "workbins.placeGroup"},
		{"timeout", func(o *Options) { o.Timeouts.Poll = 0 }, "timeouts.poll"},
		{"ca file", func(o *Options) { o.TLS.CAFile = filepath.Join(t.TempDir(), "none.pem") }, "tls.caFile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := base
			o.Features = slices.Clone(base.Features)
			c.change(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	// Without the features that need them, the supervisor and group workbins are optional.
	o := base
	o.Features = normalizeFeatures([]Feature{FeatureBayeux})
	o.Users.Supervisor, o.Users.NoMultimedia, o.Workbins.AgentGroup = Credentials{}, Credentials{}, GroupWorkbin{}
	if err := o.Validate(); err != nil {
		t.Errorf("optional parts: %v", err)
	}
}

// TestREADMEConfigExample keeps the vendor config example of docs/conformance.md valid.
func TestREADMEConfigExample(t *testing.T) {
	readme, err := os.ReadFile("../docs/conformance.md")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no docs/conformance.md beside the test binary (a run of the built suite, away from the sources)")
	}
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n# vendor.yaml\n")
	if !ok {
		t.Fatal("docs/conformance.md has no ```yaml block starting with # vendor.yaml")
	}
	example, _, _ := strings.Cut(rest, "```")
	caFile := filepath.Join(t.TempDir(), "lab-ca.pem")
	writeTestCA(t, caFile)
	example = strings.Replace(example, "caFile: lab-ca.pem", "caFile: "+caFile, 1)
	o := BaseOptions() // what a run with --config starts from
	if err := o.loadConfig("README example", []byte(example)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CF_AGENT1_PW": "a", "CF_AGENT2_PW": "b", "CF_SUPER_PW": "c"}
	if err := o.Resolve(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Provisioning.Mode != ProvisionList || len(o.Provisioning.Interactions) != 2 || o.Supports(FeatureAgentStats) {
		t.Errorf("parsed %+v", o.Provisioning)
	}
}

// TestPasswordFlagBeatsPasswordEnv: --agent-password given explicitly wins over the file's
// passwordEnv (even one naming an unset variable), like every other flag over the file.
func TestPasswordFlagBeatsPasswordEnv(t *testing.T) {
	const unset = "WORKBINKIT_TEST_SURELY_UNSET_PW"
	t.Setenv(unset, "")
	cfg := writeConfig(t, "users:\n  agent: {user: alice, passwordEnv: "+unset+"}\n  supervisor: {user: boss, passwordEnv: "+unset+"}\n")
	if _, err := parse(t, "--config", cfg, "--agent-password", "x").Options(); err == nil || !strings.Contains(err.Error(), "users.supervisor.passwordEnv") {
		t.Fatalf("the supervisor's passwordEnv still applies: got %v", err)
	}
	o, err := parse(t, "--config", cfg, "--agent-password", "from-flag", "--supervisor-password", "sup-flag").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Users.Agent.Password != "from-flag" || o.Users.Agent.PasswordEnv != "" || o.Users.Supervisor.Password != "sup-flag" {
		t.Errorf("agent %+v, supervisor %+v", o.Users.Agent, o.Users.Supervisor)
	}
}

// TestEmptyFeatureListIsCoreOnly: an explicitly empty feature list, by flag or in the file,
// declares the core features only; it never declares nothing.
func TestEmptyFeatureListIsCoreOnly(t *testing.T) {
	for _, c := range []struct {
		name string
		yaml string
		args []string
	}{
		{"flag", "", []string{"--features", ""}},
		{"flag with spaces and commas", "", []string{"--features", " , "}},
		{"empty YAML list", "features: []\n", nil},
		{"bare YAML key", "features:\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--target", "http://127.0.0.1:1"}, c.args...)
			if c.yaml != "" {
				args = append(args, "--config", writeConfig(t, c.yaml))
			}
			o, err := parse(t, args...).Options()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Features, CoreFeatures()) || len(o.Features) == 0 {
				t.Errorf("features %v, want the core %v", o.Features, CoreFeatures())
			}
			r := reportOf(&o, nil)
			if !slices.Equal(r.DeclaredFeatures, CoreFeatures()) || !strings.Contains(r.Summary, "only the core") {
				t.Errorf("report: declared %v, summary %q", r.DeclaredFeatures, r.Summary)
			}
		})
	}
	if fs := normalizeFeatures(nil); !slices.Equal(fs, CoreFeatures()) {
		t.Errorf("normalizeFeatures(nil) = %v", fs)
	}
}
