// Package nodetest finds what the interop tests need from Node: the node binary and the npm
// packages pinned in the repository's package-lock.json (installed by `make deps`).
package nodetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Require returns the node binary when it and every named npm package are installed at the
// module root. Otherwise the test fails (it is skipped under -short) saying what to run:
// `make test` installs them, so a missing one on CI is a fault, not a reason to skip.
func Require(t testing.TB, packages ...string) string {
	t.Helper()
	node, err := find(packages)
	if err != nil {
		msg := fmt.Sprintf("node and the pinned npm packages %v are needed: run `make deps` (npm ci) at the repository root: %v", packages, err)
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	return node
}

func find(packages []string) (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", err
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			return "", err
		}
	}
	return node, nil
}

// moduleRoot is the nearest directory at or above the working directory (a test's package
// directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 { // bounded: a path has far fewer levels
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("no go.mod above the working directory")
}
