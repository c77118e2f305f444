package conformance

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/workbinkit/workbinkit/spec"
)

// needsDoc is the needs table of every feature, as the vendor documentation shows it.
const needsDoc = "../docs/provisioning-needs.md"

// TestNeedsDocInStep: docs/provisioning-needs.md is what the registry computes for every
// feature. WORKBINKIT_UPDATE=1 rewrites it.
func TestNeedsDocInStep(t *testing.T) {
	inSourceTree(t)
	want, err := ListNeeds(BaseOptions(), types.NewDefaultSuiteConfig())
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("WORKBINKIT_UPDATE") == "1" {
		if err := os.WriteFile(needsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(needsDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of step with the spec registry; regenerate it: WORKBINKIT_UPDATE=1 go test ./conformance -run TestNeedsDocInStep\nwant:\n%s", needsDoc, want)
	}
}

// inSourceTree skips a test that reads the repository's files when the test binary runs
// elsewhere (bin/conformance.test in a vendor's CI runs every test of the package).
func inSourceTree(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("rules.go"); os.IsNotExist(err) {
		t.Skip("not run from conformance/ in the source tree")
	}
}

// TestNeedsFromRegistry: the counts come from the declared needs of the specs a run
// selects, by features, label filter, focus and skip, parallel and Serial apart.
func TestNeedsFromRegistry(t *testing.T) {
	o := BaseOptions()
	o.Features = normalizeFeatures([]Feature{FeaturePullWorkitem})
	got := needsByName(allSpecs(), &o, nil)
	// Counted by hand from specs_pull.go, so that a change of the registry is noticed here.
	if c := got[wbAgent][spec.MediaWorkitem]; c == nil || c.parallel != 10 || c.serial != 0 || len(c.specs) != 7 {
		t.Errorf("pull-workitem, agent workitem: %+v; want 10 parallel from 7 specs", c)
	}
	if c := got[wbAgent2][spec.MediaWorkitem]; c == nil || c.parallel != 1 {
		t.Errorf("pull-workitem, agent2 workitem: %+v; want 1 (isolation's barrier)", c)
	}
	if len(got[wbAgent]) != 1 || len(got) != 2 {
		t.Errorf("pull-workitem needs %v; want agent and agent2 workitems only", got)
	}

	// The run's filters, as Ginkgo applies them: the label filter, and --focus and --skip
	// on the suite's description, the feature group's and the spec's texts.
	for _, c := range []struct {
		name string
		cfg  func(*types.SuiteConfig)
		want int
	}{
		{"label filter", func(c *types.SuiteConfig) { c.LabelFilter = "id:pull-workitem.reference-ids" }, 3},
		{"focus on the spec's text", func(c *types.SuiteConfig) { c.FocusStrings = []string{"referenceIds are unique"} }, 3},
		{"focus on the group and the spec", func(c *types.SuiteConfig) {
			c.FocusStrings = []string{`^workbinkit conformance \[pull-workitem\] referenceIds`}
		}, 3},
		{"skip", func(c *types.SuiteConfig) { c.SkipStrings = []string{"referenceIds are unique"} }, 7},
		{"focus matching nothing", func(c *types.SuiteConfig) { c.FocusStrings = []string{"no such spec"} }, 0},
	} {
		cfg := types.NewDefaultSuiteConfig()
		c.cfg(&cfg)
		got := 0
		if n := needsByName(allSpecs(), &o, specSelector(allSpecs(), cfg))[wbAgent][spec.MediaWorkitem]; n != nil {
			got = n.parallel
		}
		if got != c.want {
			t.Errorf("%s: %d agent workitems; want %d", c.name, got, c.want)
		}
	}

	o.Features = normalizeFeatures([]Feature{FeatureBayeux})
	if c := needsByName(allSpecs(), &o, nil)[wbAgent][spec.MediaWorkitem]; c == nil || c.serial != 2 || c.parallel != 10 {
		t.Errorf("bayeux: %+v; want the core's 10 parallel and 2 Serial", c)
	}
	// Ginkgo's Serial decorator is a label too.
	cfg := types.NewDefaultSuiteConfig()
	cfg.LabelFilter = "Serial"
	if c := needsByName(allSpecs(), &o, specSelector(allSpecs(), cfg))[wbAgent][spec.MediaWorkitem]; c == nil || c.serial != 2 || c.parallel != 0 {
		t.Errorf("bayeux, --label-filter Serial: %+v; want the 2 Serial", c)
	}
	// --list-needs refuses filters Ginkgo would refuse, rather than count every spec.
	for _, bad := range []func(*types.SuiteConfig){
		func(c *types.SuiteConfig) { c.LabelFilter = "a &&" },
		func(c *types.SuiteConfig) { c.FocusStrings = []string{"("} },
		func(c *types.SuiteConfig) { c.SkipStrings = []string{"["} },
	} {
		cfg := types.NewDefaultSuiteConfig()
		bad(&cfg)
		var ue *UsageError
		if _, err := ListNeeds(o, cfg); !errors.As(err, &ue) {
			t.Errorf("ListNeeds with %+v: %v; want a usage error", cfg, err)
		}
	}
}

func placed(workbin string, m spec.Media, n int, prefix string) []PlacedInteraction {
	out := make([]PlacedInteraction, n)
	for i := range out {
		out[i] = PlacedInteraction{ID: fmt.Sprintf("%s%d", prefix, i), Media: m, Workbin: workbin}
	}
	return out
}

// TestListPlanCheck: a short pool stops the run with what to add, for the processes of
// the run; a long enough list passes.
func TestListPlanCheck(t *testing.T) {
	wi := needKey{"wb1", spec.MediaWorkitem}
	ch := needKey{"wb1", spec.MediaChat}
	plan := listPlan{total: 2, pools: map[needKey]*needCount{wi: {parallel: 6}, ch: {parallel: 1, serial: 2}}}
	list := append(placed("wb1", spec.MediaWorkitem, 3, "w"), placed("wb1", spec.MediaChat, 4, "c")...)
	err := plan.check(list)
	if err == nil {
		t.Fatal("a short list passed")
	}
	if want := "list provisioning: workbin wb1 has 3 workitem ids; this run needs 12 (2 processes): add 9"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if strings.Contains(err.Error(), "chat") {
		t.Errorf("error %q names the chat pool, which has 4 of the 2×1+2 it needs", err)
	}
	list = append(list, placed("wb1", spec.MediaWorkitem, 9, "x")...)
	if err := plan.check(list); err != nil {
		t.Errorf("a list with enough ids: %v", err)
	}
	plan.total = 1
	if err := plan.check(placed("wb1", spec.MediaWorkitem, 6, "w")); err == nil || !strings.Contains(err.Error(), "has 0 chat ids; this run needs 3 (1 process): add 3") {
		t.Errorf("one process: %v", err)
	}
}

// TestListPlanShare: every process gets its quota of every pool (process 1 the Serial
// share too), spare ids go round, and no id is dealt twice or dropped.
func TestListPlanShare(t *testing.T) {
	wi := needKey{"wb1", spec.MediaWorkitem}
	ch := needKey{"wb2", spec.MediaChat}
	plan := listPlan{total: 3, pools: map[needKey]*needCount{wi: {parallel: 4, serial: 2}, ch: {parallel: 1}}}
	// Interleaved, as a vendor may list them: dealing by index would starve some process
	// of chats.
	var list []PlacedInteraction
	wis, chs := placed("wb1", spec.MediaWorkitem, 16, "w"), placed("wb2", spec.MediaChat, 3, "c")
	list = append(list, wis[:8]...)
	list = append(list, chs...)
	list = append(list, wis[8:]...)
	list = append(list, placed("wb3", spec.MediaEmail, 2, "e")...) // no spec needs these

	seen := map[string]int{}
	for proc := 1; proc <= plan.total; proc++ {
		got := map[needKey]int{}
		for _, x := range plan.share(list, proc) {
			got[needKey{x.Workbin, x.Media}]++
			seen[x.ID]++
		}
		if want := plan.pools[wi].quota(proc); got[wi] < want {
			t.Errorf("process %d got %d workitems, needs %d", proc, got[wi], want)
		}
		if got[ch] != 1 {
			t.Errorf("process %d got %d chats, want 1", proc, got[ch])
		}
	}
	for _, x := range list {
		if seen[x.ID] != 1 {
			t.Errorf("%s dealt %d times", x.ID, seen[x.ID])
		}
	}
	if one := plan.share(list, 1); len(listPlan{total: 1, pools: plan.pools}.share(list, 1)) != len(list) || len(one) == len(list) {
		t.Errorf("one process must get every id, one of three only its share")
	}
}
