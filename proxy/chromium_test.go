package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/observe"
)

// browserKit is what the Chromium proof needs: node, playwright-core, Debian's chromium.
type browserKit struct {
	node, playwright, chromium, root string
}

// needBrowser finds node, playwright-core and chromium. playwright-core comes from the
// repository's package.json (the Makefile and .ci/run install it and chromium); until the
// package declares it the test is skipped, after that a missing piece fails the test
// (skipped under -short), as the other Node interop tests do. WORKBINKIT_PLAYWRIGHT_CORE
// (a playwright-core directory) and CHROMIUM override where they are.
func needBrowser(t *testing.T) browserKit {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	k := browserKit{root: root, playwright: os.Getenv("WORKBINKIT_PLAYWRIGHT_CORE"), chromium: os.Getenv("CHROMIUM")}
	if k.playwright == "" {
		pkg, _ := os.ReadFile(filepath.Join(root, "package.json"))
		if !bytes.Contains(pkg, []byte(`"playwright-core"`)) {
			t.Skip("package.json does not declare playwright-core yet (set WORKBINKIT_PLAYWRIGHT_CORE to a playwright-core directory to run this)")
		}
		k.playwright = filepath.Join(root, "node_modules", "playwright-core")
	}
	missing := func(what string, err error) {
		msg := what + " is needed for the Chromium proof (make test installs it): " + err.Error()
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	if k.node, err = exec.LookPath("node"); err != nil {
		missing("node", err)
	}
	if _, err := os.Stat(filepath.Join(k.playwright, "package.json")); err != nil {
		missing("playwright-core", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "cometd", "cometd.js")); err != nil {
		missing("the cometd npm package", err)
	}
	if k.chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if k.chromium, err = exec.LookPath(name); err == nil {
				break
			}
		}
		if k.chromium == "" {
			missing("chromium (Debian's)", err)
		}
	}
	return k
}

// pageServer serves the agent page and the official CometD client on a localhost origin.
func pageServer(t *testing.T, k browserKit) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/cometd/", http.StripPrefix("/cometd/", http.FileServer(http.Dir(filepath.Join(k.root, "node_modules", "cometd")))))
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("testdata", "chromium", "page.html"))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// localhost names a loopback test server by "localhost": the page and the API are then
// the same site, so the session cookie goes with the page's credentialed requests.
func localhost(raw string) string { return strings.Replace(raw, "127.0.0.1", "localhost", 1) }

type pageOutcome struct {
	Result *struct {
		ReferenceID int            `json:"referenceId"`
		Channel     string         `json:"channel"`
		Data        map[string]any `json:"data"`
	} `json:"result"`
	Failure string `json:"failure"`
}

// runPage drives the page against api and returns the HAR Chromium recorded.
func runPage(t *testing.T, k browserKit, page, api string) (pageOutcome, string) {
	t.Helper()
	harPath := filepath.Join(t.TempDir(), "chromium.har")
	q := url.Values{"api": {localhost(api)}, "user": {"MaratTest"}, "workbin": {"3434543fafwe987"}, "item": {"02F0ASAK8EAFA00W"}}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.node, filepath.Join("testdata", "chromium", "run.mjs"), k.playwright, k.chromium, localhost(page)+"/page.html?"+q.Encode(), harPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Chromium driver: %v\n%s\n%s", err, out, stderr.String())
	}
	var o pageOutcome
	if err := json.Unmarshal(bytes.TrimSpace(out), &o); err != nil {
		t.Fatalf("the driver's answer %q: %v\n%s", out, err, stderr.String())
	}
	return o, harPath
}

func validateHAR(t *testing.T, path string) *observe.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k := observe.New(contract(t), observe.Options{})
	if _, err := observe.ReadHAR(context.Background(), har.NewReader(f), k); err != nil {
		t.Fatal(err)
	}
	return k.Result()
}

// TestChromiumThroughProxy: a page in headless Chromium, on the official CometD client,
// logs in, pulls a workitem and receives its notification through the proxy (CORS,
// cookies and the CSRF header pass); the proxy finds nothing, and the HAR Chromium recorded
// validates clean. The same page against a mock that announces the pulled workitem in the
// wrong state gives a HAR that fails, naming D5.state.
func TestChromiumThroughProxy(t *testing.T) {
	k := needBrowser(t)
	page := pageServer(t, k)

	r := startRig(t, rigOptions{observe: observe.Options{NotificationWindow: 10 * time.Second}})
	o, harPath := runPage(t, k, page.URL, r.front.URL)
	if o.Failure != "" || o.Result == nil {
		t.Fatalf("the page failed through the proxy: %s", o.Failure)
	}
	if o.Result.Channel != "/v2/me/workitems" || o.Result.Data["referenceId"] == nil {
		t.Errorf("the page's event: %+v", o.Result)
	}
	live := r.stop(t)
	if live.Errors > 0 {
		t.Errorf("the proxy found violations in the page's traffic:\n%s", strings.Join(r.lines, "\n"))
	}
	rec := validateHAR(t, harPath)
	if rec.Errors > 0 || rec.Notifications == 0 || rec.Operations["PullWorkitem · POST /api/v2/workbins/{workbinId}"] == nil {
		t.Errorf("Chromium's HAR: %d errors, %d notifications, operations %v: %+v", rec.Errors, rec.Notifications, rec.Operations, rec.Findings)
	}
	t.Logf("through the proxy: %d exchanges judged live, %d in Chromium's HAR (%d notifications), passed through %v", live.Exchanges, rec.Exchanges, rec.Notifications, rec.PassedThrough)

	srv, err := mockserver.New(mockserver.Config{Contract: contract(t), Deviations: []mockserver.Deviation{mockserver.DevWrongStateAfterPull}})
	if err != nil {
		t.Fatal(err)
	}
	broken := httptest.NewServer(srv)
	defer broken.Close()
	o, harPath = runPage(t, k, page.URL, broken.URL)
	if o.Failure != "" {
		t.Fatalf("the page failed against the deviating mock: %s", o.Failure)
	}
	rec = validateHAR(t, harPath)
	named := false
	for _, f := range rec.Findings {
		if f.Level == observe.LevelError && f.Rule == "D5.state" {
			named = true
			t.Logf("Chromium's HAR of the deviating mock: %s", f.Line())
		}
	}
	if !named {
		t.Errorf("the HAR of the deviating mock does not fail naming D5.state: %+v", rec.Findings)
	}
}
