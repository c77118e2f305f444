// Package ci tests the CI examples beside it: the GitLab files parse and hang together (stages,
// scripts, the JUnit report they publish is one they write), every workbinkit command line in
// both the GitHub and the GitLab files uses a subcommand and flags the binary has, and the
// scripts themselves run against a binary built from this tree: the frontend flow (mock and
// recording proxy in the background, a request standing in for the team's tests, validate)
// and the vendor's conform with examples/provisioning's vendor.yaml and hook. Only the
// download steps (and npm) are left out. actionlint checks the GitHub files (make lint-ci).
package ci

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/workbinkit/workbinkit/internal/clitest"
)

const scriptTimeout = 3 * time.Minute

// githubWorkflow is the part of a GitHub Actions workflow the tests read.
type githubWorkflow struct {
	Env  map[string]string
	Jobs map[string]struct {
		Steps []struct {
			Name, Run, Uses string
			Env             map[string]string
			With            map[string]any
		}
	}
}

// gitlabJob is the part of a GitLab CI job the tests read.
type gitlabJob struct {
	Stage        string
	Image        string
	BeforeScript []string `yaml:"before_script"`
	Script       []string
	Artifacts    struct {
		When    string
		Paths   []string
		Reports struct{ Junit string }
	}
}

// gitlabFile is a .gitlab-ci.yml: its stages, its variables and its jobs (the other keys).
type gitlabFile struct {
	Stages    []string
	Variables map[string]string
	Jobs      map[string]gitlabJob
}

// gitlabKeywords are the top-level keys of a .gitlab-ci.yml that are not jobs.
var gitlabKeywords = []string{"stages", "variables", "default", "include", "workflow", "image", "services", "before_script", "after_script", "cache"}

func readGitHub(t *testing.T, name string) githubWorkflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("github", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf githubWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return wf
}

func readGitLab(t *testing.T, name string) gitlabFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("gitlab", name))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	f := gitlabFile{Jobs: map[string]gitlabJob{}}
	for key, node := range top {
		var err error
		switch {
		case key == "stages":
			err = node.Decode(&f.Stages)
		case key == "variables":
			err = node.Decode(&f.Variables)
		case slices.Contains(gitlabKeywords, key), strings.HasPrefix(key, "."):
		default:
			var job gitlabJob
			err = node.Decode(&job)
			f.Jobs[key] = job
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", name, key, err)
		}
	}
	return f
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yml") {
			names = append(names, e.Name())
		}
	}
	if len(names) < 2 {
		t.Fatalf("%s holds %d examples, want the vendor's and the frontend's", dir, len(names))
	}
	return names
}

// The GitLab files: every job in a declared stage, with a script, publishing a JUnit report
// its script writes, with its artifacts kept when the job fails.
func TestGitLabJobs(t *testing.T) {
	for _, name := range files(t, "gitlab") {
		f := readGitLab(t, name)
		if len(f.Jobs) == 0 {
			t.Errorf("%s: no job", name)
		}
		for jobName, job := range f.Jobs {
			if !slices.Contains(f.Stages, job.Stage) {
				t.Errorf("%s: job %s: stage %q is not one of stages %q", name, jobName, job.Stage, f.Stages)
			}
			if len(job.Script) == 0 || job.Image == "" {
				t.Errorf("%s: job %s: no script or no image", name, jobName)
			}
			junit := job.Artifacts.Reports.Junit
			if junit == "" || !strings.Contains(strings.Join(job.Script, "\n"), " "+junit) || job.Artifacts.When != "always" {
				t.Errorf("%s: job %s: JUnit report %q is not written by the script, or the artifacts are not kept always (when: %q)",
					name, jobName, junit, job.Artifacts.When)
			}
		}
	}
}

// commandLines returns the shell text of every script of the examples, by file.
func commandLines(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range files(t, "github") {
		for _, job := range readGitHub(t, name).Jobs {
			for _, st := range job.Steps {
				if st.Run != "" {
					out["github/"+name] = append(out["github/"+name], st.Run)
				}
			}
		}
	}
	for _, name := range files(t, "gitlab") {
		for _, job := range readGitLab(t, name).Jobs {
			out["gitlab/"+name] = append(out["gitlab/"+name], job.BeforeScript...)
			out["gitlab/"+name] = append(out["gitlab/"+name], job.Script...)
		}
	}
	return out
}

var (
	invocationRE = regexp.MustCompile(`(?m)(?:^|[;&|(]\s*|\s)workbinkit\s+([a-z-]+)((?:[ \t]+(?:\\\n)?[^;&|<>\n]*)?)`)
	flagRE       = regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
)

// Every `workbinkit SUB --flag` in the examples names a subcommand and flags the binary has:
// an example cannot drift from the CLI unnoticed.
func TestCommandLinesKnownToTheBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	helps := map[string]string{}
	seen := 0
	for file, scripts := range commandLines(t) {
		for _, script := range scripts {
			script = strings.ReplaceAll(script, "\\\n", " ")
			for _, m := range invocationRE.FindAllStringSubmatch(script, -1) {
				sub, rest := m[1], m[2]
				help, ok := helps[sub]
				if !ok {
					stdout, stderr, code := clitest.Run(t, bin, t.TempDir(), nil, time.Minute, sub, "--help")
					if code != 0 {
						t.Errorf("%s: workbinkit %s: no such subcommand (--help: exit %d)\n%s", file, sub, code, stderr)
					}
					help, helps[sub] = stdout+stderr, stdout+stderr
				}
				seen++
				for _, f := range flagRE.FindAllStringSubmatch(rest, -1) {
					if !regexp.MustCompile(`(?m)^\s+--` + regexp.QuoteMeta(f[1]) + `\b`).MatchString(help) {
						t.Errorf("%s: workbinkit %s --%s: the binary has no such flag", file, sub, f[1])
					}
				}
			}
		}
	}
	if seen < 6 { // conform ×2, mock ×2, proxy ×2, validate ×2
		t.Errorf("found %d workbinkit command lines in the examples, want at least 6: the pattern missed some", seen)
	}
}

// binDir holds the binary TestMain builds from this tree, once for every test.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "workbinkit-ci-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds cmd/workbinkit from this tree into binDir, the first time it is asked.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "workbinkit")
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/workbinkit")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/workbinkit: %v\n%s", err, out)
	}
	return bin
}

// buildMu makes the parallel tests wait for the one build.
var buildMu sync.Mutex

// needShell returns bash, and fails the test without curl (the examples use both).
func needShell(t *testing.T) string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("bash is not installed: the CI examples' scripts cannot run here: %v", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to run the CI examples' scripts: %v", err)
	}
	return bash
}

// freePort returns a port nothing listens on now: the examples' scripts name fixed ports
// (8090, 8091), which the test replaces so as not to meet a mock a developer runs.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
}

// script runs one shell script as the CI would (bash -eo pipefail) in dir with the binary on
// PATH, and fails the test unless it exits 0.
func script(t *testing.T, bash, bin, dir, text string, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", text)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 5 * time.Second // a background server must not hold the output open
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs := ""
		for _, f := range []string{"mock.log", "proxy.log"} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
				logs += "\n" + f + ":\n" + clitest.Tail(string(b), 30)
			}
		}
		t.Fatalf("the script failed: %v\n--- script\n%s\n--- output\n%s%s", err, text, clitest.Tail(string(out), 60), logs)
	}
}

// stopLeftovers kills the servers a script left in the background (pid files), at the end.
func stopLeftovers(t *testing.T, dir string) {
	t.Cleanup(func() {
		for _, f := range []string{"mock.pid", "proxy.pid"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				continue
			}
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
	})
}

// ports replaces the examples' fixed ports with free ones.
func ports(t *testing.T) *strings.Replacer {
	return strings.NewReplacer("127.0.0.1:8090", "127.0.0.1:"+freePort(t), "127.0.0.1:8091", "127.0.0.1:"+freePort(t))
}

// standIn replaces the frontend team's tests: one login through the proxy, at the address
// the example gives the tests.
const standIn = `curl --fail --silent --show-error --max-time 10 -u MaratTest:MaratTest --output /dev/null "$GWS_BASE_URL/api/v2/me"`

// checkFrontendResults: the recording holds the stand-in's exchange, validate wrote its
// reports, and it judged the traffic sound (the script would have failed otherwise).
func checkFrontendResults(t *testing.T, dir string) {
	t.Helper()
	har, err := os.ReadFile(filepath.Join(dir, "traffic.har"))
	if err != nil || !strings.Contains(string(har), "/api/v2/me") {
		t.Errorf("traffic.har does not hold the request made through the proxy (%v)", err)
	}
	for _, f := range []string{"reports/contract-junit.xml", "reports/contract-report.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("validate wrote no %s: %v", f, err)
		}
	}
}

func TestGitHubFrontendFlow(t *testing.T) {
	t.Parallel()
	bash := needShell(t)
	bin := buildBinary(t)
	wf := readGitHub(t, "frontend-contract.yml")
	steps := map[string]string{}
	env := map[string]string{}
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			steps[st.Name] = st.Run
			for k, v := range st.Env {
				env[k] = v
			}
		}
	}
	dir := t.TempDir()
	stopLeftovers(t, dir)
	r := ports(t)
	for k, v := range env {
		env[k] = r.Replace(v)
	}
	for _, name := range []string{"Start the mock and the recording proxy", "Run your tests against the mock", "Validate the recorded traffic"} {
		text, ok := steps[name]
		if !ok {
			t.Fatalf("frontend-contract.yml has no step %q", name)
		}
		if strings.Contains(text, "npm test") {
			text = standIn
		}
		script(t, bash, bin, dir, r.Replace(text), env)
	}
	checkFrontendResults(t, dir)
}

func TestGitLabFrontendFlow(t *testing.T) {
	t.Parallel()
	bash := needShell(t)
	bin := buildBinary(t)
	f := readGitLab(t, "frontend-contract.gitlab-ci.yml")
	job, ok := f.Jobs["gws-contract"]
	if !ok {
		t.Fatal("frontend-contract.gitlab-ci.yml has no job gws-contract")
	}
	// GitLab runs before_script and script in one shell: from the first workbinkit command
	// on (the lines before download the release), npm ci left out, npm test stood in for.
	var lines []string
	for _, l := range append(job.BeforeScript, job.Script...) {
		switch {
		case len(lines) == 0 && !strings.HasPrefix(l, "workbinkit "):
		case l == "npm ci":
		case l == "npm test":
			lines = append(lines, standIn)
		default:
			lines = append(lines, l)
		}
	}
	if !slices.Contains(lines, standIn) {
		t.Fatal("the job runs no `npm test` to stand in for")
	}
	dir := t.TempDir()
	stopLeftovers(t, dir)
	r := ports(t)
	env := map[string]string{}
	for k, v := range f.Variables {
		env[k] = r.Replace(v)
	}
	script(t, bash, bin, dir, r.Replace(strings.Join(lines, "\n")), env)
	checkFrontendResults(t, dir)
}

// vendorDir lays out a vendor's repository: examples/provisioning's vendor.yaml (aimed at
// the test's mock) and its hook.
func vendorDir(t *testing.T, target string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "provisioning")
	cfg, err := os.ReadFile(filepath.Join(src, "vendor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^target: .*$`)
	if !re.Match(cfg) {
		t.Fatal("examples/provisioning/vendor.yaml names no target")
	}
	cfg = re.ReplaceAll(cfg, []byte("target: "+target))
	hook, err := os.ReadFile(filepath.Join(src, "place-via-mock.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vendor.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "place-via-mock.sh"), hook, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkVendorResults(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"reports/junit.xml", "reports/conformance-report.json", "reports/conformance-report.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("conform wrote no %s: %v", f, err)
		}
	}
}

// The vendor's conform step, run as written against the mock with the command-mode hook.
func TestGitHubVendorConform(t *testing.T) {
	t.Parallel()
	bash := needShell(t)
	bin := buildBinary(t)
	wf := readGitHub(t, "vendor-conformance.yml")
	var text string
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			if strings.Contains(st.Run, "workbinkit conform") {
				text = st.Run
			}
		}
	}
	if text == "" {
		t.Fatal("vendor-conformance.yml has no step running workbinkit conform")
	}
	m := clitest.StartMock(t, bin, nil)
	dir := vendorDir(t, m.Base)
	script(t, bash, bin, dir, text, nil)
	checkVendorResults(t, dir)
}

func TestGitLabVendorConform(t *testing.T) {
	t.Parallel()
	bash := needShell(t)
	bin := buildBinary(t)
	f := readGitLab(t, "vendor-conformance.gitlab-ci.yml")
	job, ok := f.Jobs["gws-conformance"]
	if !ok {
		t.Fatal("vendor-conformance.gitlab-ci.yml has no job gws-conformance")
	}
	m := clitest.StartMock(t, bin, nil)
	dir := vendorDir(t, m.Base)
	script(t, bash, bin, dir, strings.Join(job.Script, "\n"), nil)
	checkVendorResults(t, dir)
}
