package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		linked string
		want   string
	}{
		{"no build info", nil, "", "devel"},
		{"go run / go test", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "devel"},
		{"go install @v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "", "v1.2.3"},
		{"go build in a tagged checkout", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20260102030405-0123456789ab+dirty"}, Settings: vcs(rev, "true")}, "", "v1.2.4-0.20260102030405-0123456789ab+dirty"},
		{"commit only", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "", "devel+0123456789ab"},
		{"commit with changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "", "devel+0123456789ab.dirty"},
		{"linked wins", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs(rev, "true")}, " v2.0.0 ", "v2.0.0"},
		{"linked without build info", nil, "v2.0.0", "v2.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuildInfo(tc.bi, tc.linked)
			if got.Version != tc.want {
				t.Errorf("Version %q, want %q", got.Version, tc.want)
			}
			if got.GoVersion == "" || !strings.Contains(got.Platform, "/") {
				t.Errorf("GoVersion %q Platform %q", got.GoVersion, got.Platform)
			}
		})
	}
	info := fromBuildInfo(&debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "")
	if info.Revision != rev || !info.Modified || info.Time != "2026-01-02T03:04:05Z" || info.GoVersion != "go1.99.1" {
		t.Errorf("the build settings were not read: %+v", info)
	}
}

// Whatever the build, there is a version (a test binary has "devel" unless one is linked in).
func TestStringNeverEmpty(t *testing.T) {
	if got := String(); got == "" || got != Get().Version {
		t.Errorf("String() = %q, Get().Version = %q", got, Get().Version)
	}
}
