package disttest

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/internal/clitest"
)

// A vendor without Go: the host's release archive, unpacked elsewhere, is all they have.
// Its binary is static, says the git-describe version, runs the mock, and `conform` passes
// against that mock.
func TestHostArchive(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dist := t.TempDir()
	runMake(t, root, "dist-host", "DIST="+dist)
	want := gitVersion(t, root)

	ext := ".tar.gz"
	if runtime.GOOS == "windows" {
		ext = ".zip"
	}
	top := fmt.Sprintf("workbinkit_%s_%s_%s", want, runtime.GOOS, runtime.GOARCH)
	name := top + ext
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatalf("make dist-host made no %s: %v", name, err)
	}
	sum := sha256.Sum256(data)
	if got, wantSums := string(sums), hex.EncodeToString(sum[:])+"  "+name+"\n"; got != wantSums {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, wantSums)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil { // the format the tool reads
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sha256sum", "--check", "--strict", "SHA256SUMS")
		cmd.Dir = dist
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum --check SHA256SUMS: %v\n%s", err, out)
		}
	}

	unpacked := t.TempDir()
	files := unpack(t, filepath.Join(dist, name), unpacked)
	exe := "workbinkit"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	wantFiles := []string{top + "/CHANGELOG.md", top + "/README.md", top + "/" + exe}
	if _, err := os.Stat(filepath.Join(root, "LICENSE")); err == nil {
		wantFiles = append(wantFiles, top+"/LICENSE")
	}
	slices.Sort(wantFiles)
	if !slices.Equal(files, wantFiles) {
		t.Errorf("the archive holds %q, want %q", files, wantFiles)
	}
	for _, doc := range []string{"README.md", "CHANGELOG.md"} {
		packed, err1 := os.ReadFile(filepath.Join(unpacked, top, doc))
		orig, err2 := os.ReadFile(filepath.Join(root, doc))
		if err := errors.Join(err1, err2); err != nil || string(packed) != string(orig) {
			t.Errorf("%s in the archive differs from the repository's (%v)", doc, err)
		}
	}

	bin := filepath.Join(unpacked, top, exe)
	checkStatic(t, bin)
	checkVersion(t, bin, want)
	m := clitest.StartMock(t, bin, nil)
	checkMockAnswers(t, m)
	checkConform(t, bin, m)
	checkVendorHook(t, root, bin, m)
}

// checkVendorHook: what issue 15 asks of a vendor without Go. In an empty directory holding
// only the example config and its command-mode hook (examples/provisioning), with no Go
// toolchain on PATH, `workbinkit conform --config vendor.yaml` against the mock passes
// every spec, the hook placing each interaction, and writes its reports.
// (cmd/workbinkit's TestConformAgreesWithTestBinaryAndMake shows make conform agrees.)
func checkVendorHook(t *testing.T, root, bin string, m clitest.Mock) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // the example hook is a shell script
	}
	for _, tool := range []string{"sh", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("the example hook needs %s: not checked", tool)
			return
		}
	}
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"vendor.yaml", 0o644}, {"place-via-mock.sh", 0o755}} {
		data, err := os.ReadFile(filepath.Join(root, "examples", "provisioning", f.name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), data, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	var path []string // PATH without the directories that hold a go command
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "go")); err != nil {
			path = append(path, d)
		}
	}
	env := []string{"PATH=" + strings.Join(path, string(filepath.ListSeparator)), "GOROOT=", "GOPATH=/nonexistent"}
	out, errOut, code := clitest.Run(t, bin, dir, env, conformTimeout,
		"conform", "--config", "vendor.yaml", "--target", m.Base, "--report-junit", "junit.xml")
	if code != 0 {
		t.Fatalf("conform --config vendor.yaml: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, clitest.Tail(out, 60), clitest.Tail(errOut, 60))
	}
	raw, err := os.ReadFile(filepath.Join(dir, "conformance-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Result       string `json:"result"`
		Provisioning string `json:"provisioning"`
		Statistics   struct{ Total, Passed int }
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result != "success" || rep.Provisioning != "command" || rep.Statistics.Total < 50 || rep.Statistics.Passed != rep.Statistics.Total {
		t.Errorf("conform --config vendor.yaml: result %q, provisioning %q, %d of %d passed; want success, command, all", rep.Result, rep.Provisioning, rep.Statistics.Passed, rep.Statistics.Total)
	}
	if st, err := os.Stat(filepath.Join(dir, "junit.xml")); err != nil || st.Size() == 0 {
		t.Errorf("conform wrote no junit.xml: %v", err)
	}
}

// unpack extracts a .tar.gz or .zip into dir and returns the regular files' names, sorted.
// Every entry must stay inside dir.
func unpack(t *testing.T, archive, dir string) []string {
	t.Helper()
	var files []string
	write := func(name string, mode fs.FileMode, r io.Reader) {
		t.Helper()
		clean := path.Clean(name)
		if !fs.ValidPath(clean) {
			t.Fatalf("%s: entry %q leaves the directory", archive, name)
		}
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode.Perm())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, r); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		files = append(files, clean)
	}
	if strings.HasSuffix(archive, ".zip") {
		zr, err := zip.OpenReader(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			write(f.Name, f.Mode(), rc)
			rc.Close()
		}
	} else {
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(gz)
		for range 1000 {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch h.Typeflag {
			case tar.TypeDir:
			case tar.TypeReg:
				write(h.Name, fs.FileMode(h.Mode), tr)
			default:
				t.Errorf("%s: entry %q of type %c: only files and directories belong in a release", archive, h.Name, h.Typeflag)
			}
		}
	}
	slices.Sort(files)
	return files
}
