package conformance

import "testing"

// Configured agrees with Check: a --target or --config given empty (an unset CI variable)
// does not tell the suite where to run.
func TestFlagsConfigured(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--target="}, false},
		{[]string{"--config", " "}, false},
		{[]string{"--features", "pull-workitem"}, false},
		{[]string{"--target", "http://127.0.0.1:1"}, true},
		{[]string{"--config", "vendor.yaml"}, true},
		{[]string{"--target=", "--config", "vendor.yaml"}, true},
	} {
		if got := parse(t, c.args...).Configured(); got != c.want {
			t.Errorf("%q: Configured() = %v, want %v", c.args, got, c.want)
		}
	}
}
