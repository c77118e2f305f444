package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

// runMainEnv makes the test binary run main() instead of the tests: the end-to-end tests
// run `workbinkit conform` as a process (Ginkgo runs one suite per process) without
// building the binary again.
const runMainEnv = "WORKBINKIT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// conformTimeouts suit the in-process mock (as the self-test's).
const conformTimeouts = "request=5s,notification=4s,consistency=3s,provision=5s,immediate=5s,spec=30s"

// runBound bounds one suite run.
const runBound = 3 * time.Minute

// startConformMock starts a mock on 127.0.0.1:0 with deviations on.
func startConformMock(t *testing.T, deviations ...mockserver.Deviation) string {
	t.Helper()
	srv, err := mockserver.New(mockserver.Config{Deviations: deviations})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL
}

// suiteRun is one run of the suite: its exit status, console output and reports.
type suiteRun struct {
	dir    string
	code   int
	output string
	report conformance.Report
	junit  junitSuites
	ginkgo []ginkgoSuite
}

// runProcess runs name with args in dir (bounded) and reads the reports in dir:
// report.json, junit.xml and ginkgo.json.
func runProcess(t *testing.T, dir string, env []string, name string, args ...string) suiteRun {
	t.Helper()
	r := execRun(t, dir, env, name, args...)
	readReports(t, &r, "report.json", "junit.xml", "ginkgo.json")
	return r
}

// execRun runs name with args in dir, bounded, and returns its exit status and output.
func execRun(t *testing.T, dir string, env []string, name string, args ...string) suiteRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := suiteRun{dir: dir, output: out.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v\n%s", name, err, r.output)
	}
	return r
}

// readReports reads the conformance report (required) and the JUnit and Ginkgo JSON
// reports (when written) from r.dir.
func readReports(t *testing.T, r *suiteRun, report, junit, ginkgo string) {
	t.Helper()
	readJSON(t, filepath.Join(r.dir, report), &r.report, r.output)
	if b, err := os.ReadFile(filepath.Join(r.dir, junit)); err == nil {
		if err := xml.Unmarshal(b, &r.junit); err != nil {
			t.Fatalf("%s: %v", junit, err)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, ginkgo)); err == nil {
		readJSON(t, filepath.Join(r.dir, ginkgo), &r.ginkgo, r.output)
	}
}

func readJSON(t *testing.T, path string, v any, output string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, tailLines(output, 40))
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// conform runs `workbinkit conform` (this test binary running main) in a fresh directory,
// writing all four reports there.
func conform(t *testing.T, env []string, args ...string) suiteRun {
	t.Helper()
	dir := t.TempDir()
	all := append([]string{"conform", "--no-color", "--report-junit", "junit.xml", "--report-ginkgo-json", "ginkgo.json",
		"--report-json", "report.json", "--report-markdown", "report.md"}, args...)
	return runProcess(t, dir, append(env, runMainEnv+"=1"), os.Args[0], all...)
}

// `workbinkit conform` without a target, with an empty one, or with arguments is a usage
// error (exit 2), before anything runs; --help lists the suite's and Ginkgo's flags.
func TestConformUsage(t *testing.T) {
	noCert := filepath.Join(t.TempDir(), "lab-ca.pem") // a CA file without a certificate
	if err := os.WriteFile(noCert, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"conform", "--target", "https://127.0.0.1:1", "--ca-file", noCert},
		{"conform"},
		{"conform", "--target="},
		{"conform", "--config="},
		{"conform", "--target", "http://127.0.0.1:1", "extra"},
		{"conform", "--target", "ftp://x"},
		{"conform", "--config", filepath.Join(t.TempDir(), "missing.yaml")},
		{"conform", "--target", "http://127.0.0.1:1", "--provisioning", "command"},
	} {
		_, errOut, err := runCmd(t, "", args...)
		if exitCode(err) != exitUsage || !strings.HasPrefix(errOut, "usage: workbinkit conform") {
			t.Errorf("%v: exit %d (%v), stderr %q; want 2 and the usage line", args, exitCode(err), err, errOut)
		}
	}
	out, _, err := runCmd(t, "", "conform", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--target", "--config", "--list-needs", "--ginkgo.label-filter", "--label-filter", "--report-junit", "--ginkgo.json-report", "provisioning.mode"} {
		if !strings.Contains(out, f) {
			t.Errorf("conform --help does not mention %s", f)
		}
	}
	if strings.Contains(out, "parallel.total") {
		t.Error("conform --help offers Ginkgo's parallel.* flags, which only the ginkgo CLI can drive")
	}
	out, _, err = runCmd(t, "", "conform", "--list-needs", "--features", "pull-workitem")
	if err != nil || !strings.Contains(out, "workitem") {
		t.Errorf("--list-needs: %v\n%s", err, out)
	}
	// The count follows the run's filters, as the run's own check of the list does.
	out, _, err = runCmd(t, "", "conform", "--list-needs", "--features", "pull-workitem", "--focus", "referenceIds are unique")
	if err != nil || !strings.Contains(out, "| workbins.agent | workitem | 3 | 0 | 3 | 6 | 12 |") || strings.Count(out, "| `pull-workitem.") != 1 {
		t.Errorf("--list-needs --focus: %v\n%s", err, out)
	}
}

// A suite that cannot start (RunConformanceWith's Fatalf) is a usage error (exit 2) only
// when the options are at fault; any other set-up error, such as the embedded contract
// failing to load, is exit 1.
func TestConformSetupErrorExitStatus(t *testing.T) {
	invalid := conformance.BaseOptions() // no target, no users
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"invalid options (Validate, as NewSuite returns it)", invalid.Validate(), exitUsage},
		{"the contract does not load", fmt.Errorf("conformance: loading the contract: %w", errors.New("schema x: bad $ref")), exitFailed},
	} {
		ct := &conformT{}
		passed, err := ct.run(func() bool {
			ct.Fatalf("%v", tc.err) // as RunConformanceWith reports NewSuite's error
			return true
		})
		got := conformOutcome(ct, passed, err)
		if exitCode(got) != tc.want || got == nil || !strings.Contains(got.Error(), tc.err.Error()) {
			t.Errorf("%s: exit %d (%v), want %d and the error", tc.name, exitCode(got), got, tc.want)
		}
	}
	ct := &conformT{}
	if passed, err := ct.run(func() bool { return true }); exitCode(conformOutcome(ct, passed, err)) != exitOK {
		t.Error("a run that passed is not exit 0")
	}
	ct = &conformT{}
	if passed, err := ct.run(func() bool { ct.Fail(); return true }); exitCode(conformOutcome(ct, passed, err)) != exitFailed {
		t.Error("a run that failed is not exit 1")
	}
}

func needShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the hooks are sh scripts")
	}
	if testing.Short() {
		t.Skip("-short: runs the suite")
	}
}

// The vendor's way, from the README: `workbinkit conform --config vendor.yaml` with the
// command-mode hook of examples/provisioning against the mock passes every spec.
func TestConformVendorCommandHook(t *testing.T) {
	needShell(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the example hook uses curl")
	}
	target := startConformMock(t)
	config, err := filepath.Abs(filepath.Join("..", "..", "examples", "provisioning", "vendor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := conform(t, nil, "--config", config, "--target", target, "--timeouts", conformTimeouts)
	st := r.report.Statistics
	if r.code != 0 || r.report.Result != conformance.ResultSuccess || st.Total < 50 || st.Passed != st.Total || r.report.Provisioning != string(conformance.ProvisionCommand) {
		t.Fatalf("exit %d, result %s, %+v, provisioning %q\n%s", r.code, r.report.Result, st, r.report.Provisioning, tailLines(r.output, 40))
	}
}

// A hook that fails fails the spec that needed it (exit 1), and the report names the hook,
// its exit status and its output, with the users' passwords masked.
func TestConformHookFailureReported(t *testing.T) {
	r, password := conformWithHook(t, "", func(password string) string {
		return `[sh, -c, 'echo "routing refused $WORKBINKIT_MEDIA for ` + password + `" >&2; exit 7']`
	}, "--label-filter", "id:pull-workitem.workbins-url")
	s := specByID(r.report, "pull-workitem.workbins-url")
	if r.code != 1 || s.State != conformance.StateFailed {
		t.Fatalf("exit %d, spec %s: %s\n%s", r.code, s.State, s.Reason, tailLines(r.output, 40))
	}
	for _, want := range []string{"provisioning hook sh -c", "exited with status 7", "stderr: routing refused workitem for " + conformance.Masked} {
		if !strings.Contains(s.Reason, want) {
			t.Errorf("the reason does not say %q:\n%s", want, s.Reason)
		}
	}
	md, err := os.ReadFile(filepath.Join(r.dir, "report.md"))
	if err != nil || bytes.Contains(md, []byte("for "+password)) {
		t.Errorf("the Markdown report shows the password (or is missing: %v)", err)
	}
}

// A hook's {"skip"} reason is the hook's own text: it reaches Ginkgo's console output and
// its JUnit and JSON reports, as well as the suite's, masked.
func TestConformHookSkipMasked(t *testing.T) {
	r, password := conformWithHook(t, "", func(password string) string {
		return `[sh, -c, 'echo "{\"skip\": \"no route for ` + password + `\"}"']`
	}, "--label-filter", "id:pull-workitem.workbins-url")
	s := specByID(r.report, "pull-workitem.workbins-url")
	if s.State != conformance.StateSkipped || !strings.Contains(s.Reason, "no route for "+conformance.Masked) {
		t.Fatalf("exit %d, spec %s: %s\n%s", r.code, s.State, s.Reason, tailLines(r.output, 40))
	}
	for _, f := range []string{"junit.xml", "ginkgo.json", "report.json", "report.md"} {
		b, err := os.ReadFile(filepath.Join(r.dir, f))
		if err != nil || bytes.Contains(b, []byte(password)) {
			t.Errorf("%s shows the password (or is missing: %v)", f, err)
		}
	}
	if strings.Contains(r.output, password) {
		t.Errorf("the console output shows the password:\n%s", tailLines(r.output, 40))
	}
}

// Webhook mode: a loopback routing service that places through the mock's control plane
// gets every request as a POST with the token, and the run passes.
func TestConformWebhookHook(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the suite")
	}
	target := startConformMock(t)
	calls := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req conformance.HookRequest
		if r.Header.Get("Authorization") != "Bearer hook-secret" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Workbin == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		calls++ // the suite runs its specs one at a time
		body := fmt.Sprintf(`{"%s":%q,"%s":%q}`, spec.AdminFieldWorkbinID, req.Workbin, spec.AdminFieldMedia, req.Media)
		resp, err := http.Post(req.Target+spec.AdminBasePath+spec.AdminPathInteractions, "application/json", strings.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer hook.Close()
	o, err := conformance.DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, mockAccounts(o)+"provisioning:\n  mode: webhook\n  webhook: {url: '"+hook.URL+"/place', bearerTokenEnv: HOOK_TOKEN}\n")
	r := conform(t, []string{"HOOK_TOKEN=hook-secret"}, "--config", cfg, "--target", target, "--timeouts", conformTimeouts)
	st := r.report.Statistics
	if r.code != 0 || st.Passed != st.Total || st.Total < 50 || calls == 0 || r.report.Provisioning != string(conformance.ProvisionWebhook) {
		t.Fatalf("exit %d, %+v, %d hook calls, provisioning %q\n%s", r.code, st, calls, r.report.Provisioning, tailLines(r.output, 40))
	}
}

// conformWithHook runs workbinkit conform against a fresh mock with a config file of the
// mock's accounts, features (YAML lines, or "") and the command hook command(the main
// agent's password) (a YAML flow list); it returns the run and that password.
func conformWithHook(t *testing.T, features string, command func(password string) string, args ...string) (suiteRun, string) {
	t.Helper()
	needShell(t)
	target := startConformMock(t)
	o, err := conformance.DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	password := o.Users.Agent.Password
	cfg := writeConfig(t, mockAccounts(o)+features+"provisioning:\n  mode: command\n  command: "+command(password)+"\n")
	return conform(t, nil, append([]string{"--config", cfg, "--target", target}, args...)...), password
}

// mockAccounts is the config-file form of the mock's users and group workbins.
func mockAccounts(o conformance.Options) string {
	u, w := o.Users, o.Workbins
	return fmt.Sprintf("users:\n  agent: {user: %q, password: %q}\n  agent2: {user: %q, password: %q}\n"+
		"  supervisor: {user: %q, password: %q}\n  noMultimedia: {user: %q, password: %q}\n"+
		"workbins:\n  agentGroup: {group: %q, workbin: %q}\n  placeGroup: {group: %q, workbin: %q}\n",
		u.Agent.User, u.Agent.Password, u.Agent2.User, u.Agent2.Password, u.Supervisor.User, u.Supervisor.Password,
		u.NoMultimedia.User, u.NoMultimedia.Password, w.AgentGroup.Group, w.AgentGroup.Workbin, w.PlaceGroup.Group, w.PlaceGroup.Workbin)
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vendor.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func specByID(r conformance.Report, id string) conformance.SpecResult {
	for _, s := range r.Specs {
		if s.ID == id {
			return s
		}
	}
	return conformance.SpecResult{}
}

// junitSuites is what the agreement test reads of a JUnit report.
type junitSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Status  string    `xml:"status,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// ginkgoSuite is what the agreement test reads of a Ginkgo JSON report.
type ginkgoSuite struct {
	SpecReports []struct {
		LeafNodeType string
		LeafNodeText string
		State        string
	}
}

// verdict is what must agree between the three ways of running the suite: the result,
// the counts, the spec ids by state with the rules of each failure, and the specs' states
// in the JUnit and Ginkgo JSON reports.
func verdict(r suiteRun) string {
	var b strings.Builder
	st := r.report.Statistics
	fmt.Fprintf(&b, "result %s; total %d passed %d failed %d skipped %d not-supported %d\n",
		r.report.Result, st.Total, st.Passed, st.Failed, st.Skipped, st.NotSupported)
	var specs []string
	for _, s := range r.report.Specs {
		var rules []string
		for _, v := range s.Violations {
			rules = append(rules, string(v.Rule))
		}
		slices.Sort(rules)
		specs = append(specs, fmt.Sprintf("%s %s %v", s.ID, s.State, slices.Compact(rules)))
	}
	sort.Strings(specs)
	b.WriteString(strings.Join(specs, "\n"))
	var cases []string
	for _, s := range r.junit.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "[It]") {
				cases = append(cases, fmt.Sprintf("%s %s failure=%t", c.Name, c.Status, c.Failure != nil))
			}
		}
	}
	sort.Strings(cases)
	fmt.Fprintf(&b, "\njunit: %d cases\n%s", len(cases), strings.Join(cases, "\n"))
	var its []string
	for _, g := range r.ginkgo {
		for _, s := range g.SpecReports {
			if s.LeafNodeType == "It" {
				its = append(its, s.LeafNodeText+" "+s.State)
			}
		}
	}
	sort.Strings(its)
	fmt.Fprintf(&b, "\nginkgo json: %d specs\n%s", len(its), strings.Join(its, "\n"))
	return b.String()
}

// `workbinkit conform`, the suite's test binary and `make conform` agree, against the mock
// as it is and with one deviation switch on: the same verdict, and reports with the same
// specs in the same states, failing on the same rules. make conform runs the suite on two
// Ginkgo processes; the others on one.
func TestConformAgreesWithTestBinaryAndMake(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the suite three ways")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	suiteBin := filepath.Join(t.TempDir(), "conformance.test")
	if out, err := exec.Command("go", "test", "-c", "-o", suiteBin, "github.com/workbinkit/workbinkit/conformance").CombinedOutput(); err != nil {
		t.Fatalf("go test -c ./conformance: %v\n%s", err, out)
	}
	// The vendor's way (issue 15): their config file with the command-mode hook.
	vendorConfig := filepath.Join(root, "examples", "provisioning", "vendor.yaml")
	for _, tc := range []struct {
		name       string
		deviations []mockserver.Deviation
		code       int
		args       []string
	}{
		{"clean", nil, 0, nil},
		{"second-pull-succeeds", []mockserver.Deviation{"second-pull-succeeds"}, 1, nil},
		{"vendor-command-hook", nil, 0, []string{"--config", vendorConfig}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.args != nil {
				needShell(t)
				if _, err := exec.LookPath("curl"); err != nil {
					t.Skip("the example hook uses curl")
				}
			}
			target := startConformMock(t, tc.deviations...)
			suiteArgs := append([]string{"--target", target, "--timeouts", conformTimeouts}, tc.args...)
			viaConform := conform(t, nil, suiteArgs...)

			dir := t.TempDir()
			viaBinary := runProcess(t, dir, nil, suiteBin, append([]string{"-ginkgo.no-color",
				"--report-junit", filepath.Join(dir, "junit.xml"), "--report-ginkgo-json", filepath.Join(dir, "ginkgo.json"),
				"--report-json", filepath.Join(dir, "report.json"), "--report-markdown", filepath.Join(dir, "report.md")}, suiteArgs...)...)

			reports := t.TempDir()
			viaMake := execRun(t, root, nil, "make", "--no-print-directory", "conform", "TARGET="+target,
				"REPORTS="+reports, "CONFORM_ARGS="+strings.Join(append([]string{"--timeouts", conformTimeouts}, tc.args...), " "))
			viaMake.dir = reports
			readReports(t, &viaMake, "conformance-report.json", "conformance-junit.xml", "conformance-ginkgo.json")
			if (viaMake.code == 0) != (tc.code == 0) {
				t.Errorf("make conform: exit %d, want %s\n%s", viaMake.code, map[bool]string{true: "0", false: "non-zero"}[tc.code == 0], tailLines(viaMake.output, 30))
			}

			if viaConform.code != tc.code || viaBinary.code != tc.code {
				t.Errorf("exit statuses: conform %d, test binary %d; want %d\n%s", viaConform.code, viaBinary.code, tc.code, tailLines(viaConform.output, 30))
			}
			want := verdict(viaConform)
			if tc.args != nil && viaConform.report.Provisioning != string(conformance.ProvisionCommand) {
				t.Errorf("provisioning %q, want command (the vendor's hook)", viaConform.report.Provisioning)
			}
			t.Logf("%s", strings.SplitN(want, "\n", 2)[0])
			if !strings.Contains(want, fmt.Sprintf("junit: %d cases", viaConform.report.Statistics.Total)) {
				t.Errorf("conform's JUnit report lists other specs than its report:\n%s", want)
			}
			for name, r := range map[string]suiteRun{"bin/conformance.test": viaBinary, "make conform": viaMake} {
				if got := verdict(r); got != want {
					t.Errorf("%s disagrees with workbinkit conform:\n--- workbinkit conform\n%s\n--- %s\n%s", name, want, name, got)
				}
			}
			if tc.code != 0 && viaConform.report.Statistics.Failed == 0 {
				t.Errorf("the deviation was not caught: %+v", viaConform.report.Statistics)
			}
		})
	}
}
