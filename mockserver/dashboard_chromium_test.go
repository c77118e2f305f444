package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/nodetest"
)

// chromiumPath finds Debian's chromium (CHROMIUM overrides). `make test` installs it (make
// chromium), so a missing one fails the test, as a missing npm package does (skipped under
// -short).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium (Debian's) is needed for the dashboard's browser test: make chromium installs it, or set CHROMIUM"
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// artifactsDir is where the screenshots go: $WORKBINKIT_ARTIFACTS/<name> when set (CI keeps
// it), else a temporary directory of the test.
func artifactsDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("WORKBINKIT_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dashStep is one line the driver (testdata/dashboard.mjs) prints.
type dashStep struct {
	Step  string `json:"step"`
	Error string `json:"error"`

	Row              string   `json:"row"`
	Subscribe        int      `json:"subscribe"`
	ReferenceID      int      `json:"referenceId"`
	Link             string   `json:"link"`
	JournalSelected  string   `json:"journalSelected"`
	FocusedInRequest bool     `json:"focusedInRequest"`
	Status           int      `json:"status"`
	StatusCode       int      `json:"statusCode"`
	RuleCell         string   `json:"ruleCell"`
	RuleLink         string   `json:"ruleLink"`
	RuleHref         string   `json:"ruleHref"`
	Heading          string   `json:"heading"`
	Role             string   `json:"role"`
	Top              float64  `json:"top"`
	Text             string   `json:"text"`
	Owns             bool     `json:"owns"`
	Unnamed          []string `json:"unnamed"`
	External         []string `json:"external"`
	ConsoleErrors    []string `json:"consoleErrors"`
	AddressKeeps     bool     `json:"addressKeepsToken"`
}

// runDashboard drives the dashboard of the mock at base in headless Chromium and returns
// the driver's steps by name (and in order).
func runDashboard(t *testing.T, base, artifacts string, args ...string) (map[string]dashStep, []string) {
	t.Helper()
	node := nodetest.Require(t, "playwright-core", "cometd", "cometd-nodejs-client")
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("testdata", "dashboard.mjs"), base, chromium, artifacts}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("driver output:\n%s", stdout.String())
	steps := map[string]dashStep{}
	var order []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s dashStep
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("driver line %q: %v", sc.Text(), err)
		}
		if s.Step == "error" {
			t.Fatalf("the dashboard driver failed: %s\nstderr:\n%s", s.Error, stderr.String())
		}
		if s.Step != "screenshot" {
			steps[s.Step] = s
			order = append(order, s.Step)
		}
	}
	if err != nil {
		t.Fatalf("testdata/dashboard.mjs: %v (context: %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
	}
	return steps, order
}

// TestDashboardChromium is issue 14's proof: in headless Chromium, on a laptop-sized window,
// the dashboard places an interaction from its form (keyboard only) and shows it in its
// workbin; a pull through the REST API takes it out of the workbin and its CometD event
// appears, whose referenceId opens the request in the journal; the same pull again shows as
// refused with its rule (D11.second-pull), whose link opens that rule; a deviation switched
// on from the page puts the warning at the top; the agent's CometD session shows in Users
// and is expired from there. Every control has an accessible name, no request leaves the
// mock's origin and the console stays clean. Every wait is on the DOM, bounded (5 s a step).
// Screenshots of each view go to $WORKBINKIT_ARTIFACTS/dashboard (or a temporary directory).
func TestDashboardChromium(t *testing.T) {
	m := newMock(t)
	m.mu.Lock()
	m.expectViol = true // step 6 makes one (strict mode); checked below
	m.mu.Unlock()
	dir := artifactsDir(t, "dashboard")
	builtin, err := filepath.Abs(filepath.Join("..", "fixtures", "builtin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FIXTURES_DIR", builtin)
	steps, order := runDashboard(t, m.ts.URL, dir)
	if n, recent := m.srv.Violations(); n != 0 || len(recent) != 0 {
		t.Errorf("violations left after the page cleared them: %d", n)
	}
	m.mu.Lock()
	if len(m.violations) != 1 || m.violations[0].Kind != ViolationRequestField {
		t.Errorf("violations: %+v, want the one request-field of step 6", m.violations)
	}
	m.mu.Unlock()

	want := []string{"live", "agent-ready", "placed", "pulled", "request-opened", "refused", "rule-page", "deviation-on", "deviation-off", "users", "expired",
		"violation", "http-fault", "cometd-fault", "fixtures-loaded", "fixtures-uploaded", "reset", "accessibility", "done"}
	if !slices.Equal(order, want) {
		t.Fatalf("steps %q, want %q", order, want)
	}
	if s := steps["placed"]; !strings.Contains(s.Row, "DASH-TEST-0001") || !strings.Contains(s.Row, "workitem") {
		t.Errorf("the placed row: %q", s.Row)
	}
	if s := steps["pulled"]; s.ReferenceID < 1 || s.Link != "ref "+itoa(s.ReferenceID)+" → request" {
		t.Errorf("the pull's event links %q (referenceId %d)", s.Link, s.ReferenceID)
	}
	if s := steps["request-opened"]; s.JournalSelected != "true" || !s.FocusedInRequest {
		t.Errorf("the referenceId link: journal tab selected %q, focus in the request %v", s.JournalSelected, s.FocusedInRequest)
	}
	if s := steps["refused"]; s.Status != 400 || s.StatusCode != 2 || s.RuleCell != "D11.second-pull" ||
		!strings.HasPrefix(s.RuleLink, "D11.second-pull — ") || s.RuleHref != "rules.html#D11.second-pull" {
		t.Errorf("the refused pull: %+v", s)
	}
	if s := steps["rule-page"]; !strings.HasPrefix(s.Heading, "D11.second-pull") {
		t.Errorf("the rule page's heading: %q", s.Heading)
	}
	if s := steps["deviation-on"]; s.Role != "alert" || s.Top > 120 || !strings.HasPrefix(s.Text, "Deviations on (1)") {
		t.Errorf("the deviation warning: %+v", s)
	}
	if !steps["users"].Owns {
		t.Error("the Users view does not show the pulled workitem as the agent's")
	}
	if s := steps["expired"]; !strings.HasSuffix(s.Text, "CometD session(s) of MaratTest expired.") || strings.HasPrefix(s.Text, "0 ") {
		t.Errorf("expiring the agent's CometD session: %q", s.Text)
	}
	if s := steps["violation"]; s.Role != "alert" || s.Top > 120 || !strings.HasPrefix(s.Text, "1 self-check violation") {
		t.Errorf("the violation warning: %+v", s)
	}
	if s := steps["http-fault"]; s.Status != 500 || !strings.Contains(s.Row, "injected fault") {
		t.Errorf("the HTTP fault: %+v", s)
	}
	if s := steps["fixtures-loaded"]; !strings.Contains(s.Text, "fixtures") {
		t.Errorf("loading a fixture directory: %+v", s)
	}
	jsonFiles := 0
	_ = filepath.WalkDir(builtin, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			jsonFiles++
		}
		return err
	})
	if s := steps["fixtures-uploaded"]; s.Text != fmt.Sprintf("Loaded %d fixture files.", jsonFiles) {
		t.Errorf("loading fixture files chosen in the browser: %+v", s)
	}
	if s := steps["accessibility"]; len(s.Unnamed) > 0 {
		t.Errorf("controls without an accessible name: %q", s.Unnamed)
	}
	if s := steps["done"]; len(s.External) > 0 || len(s.ConsoleErrors) > 0 {
		t.Errorf("requests beyond the mock %q; console errors %q", s.External, s.ConsoleErrors)
	}
	for _, name := range []string{"1-workbins", "2-events", "3-journal", "4-rule", "5-deviation", "6-users", "7-violation"} {
		if fi, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

// TestDashboardChromiumToken: with an admin token the page's files load without it, the
// page asks for the token, goes live with it and steers; the address form the banner prints
// (#token=…) connects at once and the token leaves the address.
func TestDashboardChromiumToken(t *testing.T) {
	const token = "s3cret-dashboard-token"
	m := newMock(t, func(c *Config) { c.AdminToken = token })
	steps, order := runDashboard(t, m.ts.URL, artifactsDir(t, "dashboard-token"), "--token", token)
	if want := []string{"token-asked", "token-live", "token-in-address", "done"}; !slices.Equal(order, want) {
		t.Fatalf("steps %q, want %q", order, want)
	}
	if steps["token-in-address"].AddressKeeps {
		t.Error("the token stays in the address bar")
	}
	if s := steps["done"]; len(s.External) > 0 || len(s.ConsoleErrors) > 0 {
		t.Errorf("requests beyond the mock %q; console errors %q", s.External, s.ConsoleErrors)
	}
}
