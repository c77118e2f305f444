package disttest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/clitest"
)

// The image `make image` builds from Containerfile: scratch with the static binary and the CA
// certificates. Running a container needs more than these build machines allow (podman run
// fails on setrlimit), so the test checks what the image holds and how it is configured, then
// runs the binary copied out of it: version, the mock (admin token rule included), conform.
func TestImage(t *testing.T) {
	t.Parallel()
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman is not installed, so the image is neither built nor checked: `apt-get install -y podman` (as root) to run this test")
	}
	root := repoRoot(t)
	tag := fmt.Sprintf("localhost/workbinkit-test:t%d", time.Now().UnixNano())
	runMake(t, root, "image", "DIST="+t.TempDir(), "IMAGE="+tag, "CONTAINER="+podman)
	t.Cleanup(func() { podmanCleanup(t, podman, "rmi", "--force", tag) })
	want := gitVersion(t, root)

	var inspected []struct {
		Config struct {
			Entrypoint, Cmd []string
			User            string
			WorkingDir      string
			ExposedPorts    map[string]struct{}
			Labels          map[string]string
		}
	}
	if err := json.Unmarshal(podmanRun(t, podman, nil, "image", "inspect", "--format", "json", tag), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("podman image inspect: %v (%d images)", err, len(inspected))
	}
	cfg := inspected[0].Config
	if !slices.Equal(cfg.Entrypoint, []string{"/workbinkit"}) || !slices.Equal(cfg.Cmd, []string{"mock", "--addr", "0.0.0.0:8090"}) {
		t.Errorf("entrypoint %q, command %q: want the binary, and the mock on 0.0.0.0:8090", cfg.Entrypoint, cfg.Cmd)
	}
	if _, ok := cfg.ExposedPorts["8090/tcp"]; !ok || cfg.User != "65532:65532" || cfg.WorkingDir != "/work" {
		t.Errorf("ports %v, user %q, working directory %q: want 8090/tcp, 65532:65532, /work", cfg.ExposedPorts, cfg.User, cfg.WorkingDir)
	}
	if v := cfg.Labels["org.opencontainers.image.version"]; v != want {
		t.Errorf("label org.opencontainers.image.version %q, want %q", v, want)
	}

	// The image's whole filesystem, flattened: podman create, then export.
	id := strings.TrimSpace(string(podmanRun(t, podman, nil, "create", tag)))
	t.Cleanup(func() { podmanCleanup(t, podman, "rm", "--force", id) })
	var fsTar bytes.Buffer
	podmanRun(t, podman, &fsTar, "export", id)
	dir := t.TempDir()
	bin := filepath.Join(dir, "workbinkit")
	got := map[string]string{}
	tr := tar.NewReader(&fsTar)
	for range 1000 {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		got[name] = fmt.Sprintf("%c %o %d:%d", h.Typeflag, h.Mode&0o7777, h.Uid, h.Gid)
		switch name {
		case "workbinkit":
			writeFile(t, bin, tr, 0o755)
		case "etc/ssl/certs/ca-certificates.crt":
			pem, err := io.ReadAll(tr)
			if err != nil || !bytes.Contains(pem, []byte("-----BEGIN CERTIFICATE-----")) {
				t.Errorf("the CA bundle holds no certificate (%d bytes, %v)", len(pem), err)
			}
		}
	}
	wantFS := map[string]string{
		"etc/": "5 755 0:0", "etc/ssl/": "5 755 0:0", "etc/ssl/certs/": "5 755 0:0",
		"etc/ssl/certs/ca-certificates.crt": "0 644 0:0",
		"work/":                             "5 755 65532:65532",
		"workbinkit":                        "0 755 0:0",
	}
	if fmt.Sprint(got) != fmt.Sprint(wantFS) {
		t.Errorf("the image holds (type mode owner)\n  %v\nwant only\n  %v", got, wantFS)
	}

	checkStatic(t, bin)
	checkVersion(t, bin, want)

	// The default command, off loopback, refuses to start without an admin token (it checks
	// before it listens, so nothing listens on 0.0.0.0 here) and says how to give one.
	_, errOut, code := clitest.Run(t, bin, t.TempDir(), []string{"WORKBINKIT_ADMIN_TOKEN="}, commandTimeout, cfg.Cmd...)
	if code != 2 || !strings.Contains(errOut, "admin-token") {
		t.Errorf("%q without a token: exit %d, want 2 and a message naming --admin-token:\n%s", cfg.Cmd, code, errOut)
	}

	// With WORKBINKIT_ADMIN_TOKEN (podman run -e …), as the README shows: the control plane
	// wants the token, the API does not, and the suite passes given the token.
	const token = "image-test-token"
	m := clitest.StartMock(t, bin, []string{"WORKBINKIT_ADMIN_TOKEN=" + token})
	if code := clitest.Get(t, m.Base+"/_mock/options"); code != http.StatusUnauthorized {
		t.Errorf("GET /_mock/options without the token: %d, want 401", code)
	}
	checkMockAnswers(t, m, "Authorization", "Bearer "+token)
	checkConform(t, bin, m, "--admin-token", token)
}

// podmanRun runs podman with args (bounded in time) and returns its stdout, or copies it to w.
func podmanRun(t *testing.T, podman string, w io.Writer, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, podman, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if w != nil {
		cmd.Stdout = w
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, &errOut)
	}
	return out.Bytes()
}

// podmanCleanup removes what the test made; a failure is only logged.
func podmanCleanup(t *testing.T, podman string, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, podman, args...).CombinedOutput(); err != nil {
		t.Logf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFile(t *testing.T, p string, r io.Reader, mode os.FileMode) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
