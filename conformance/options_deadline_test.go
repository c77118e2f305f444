package conformance

import (
	"strings"
	"testing"
	"time"
)

// TestDeadlineOption: --deadline and deadline: in the config file bound the run, the flag
// over the file, 10m by default; a deadline that is not a positive duration is refused.
func TestDeadlineOption(t *testing.T) {
	o, err := parse(t, "--target", "http://127.0.0.1:8090").Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Deadline.D() != DefaultDeadline || DefaultDeadline != 10*time.Minute {
		t.Errorf("default deadline %s", o.Deadline)
	}
	cfg := writeConfig(t, "target: https://gws.example\ndeadline: 90s\n")
	if o, err = parse(t, "--config", cfg).Options(); err != nil || o.Deadline.D() != 90*time.Second {
		t.Errorf("deadline: 90s in the file: %v, %s", err, o.Deadline)
	}
	if o, err = parse(t, "--config", cfg, "--deadline", "3m").Options(); err != nil || o.Deadline.D() != 3*time.Minute {
		t.Errorf("--deadline 3m over the file: %v, %s", err, o.Deadline)
	}
	for _, bad := range []string{"0s", "-1m", "ten minutes"} {
		if _, err := parse(t, "--target", "http://127.0.0.1:8090", "--deadline", bad).Options(); err == nil || !strings.Contains(err.Error(), "--deadline") {
			t.Errorf("--deadline %s: %v", bad, err)
		}
		if _, err := parse(t, "--config", writeConfig(t, "target: https://gws.example\ndeadline: "+bad+"\n")).Options(); err == nil {
			t.Errorf("deadline: %s in the file accepted", bad)
		}
	}
	o.Deadline = 0
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "deadline: must be positive") {
		t.Errorf("Validate with no deadline: %v", err)
	}
}
