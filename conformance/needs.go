// Provisioning needs: how many interactions each spec consumes, from which workbin and of
// which media, declared in the spec registry (specDef.needs) and held to it at run time.
// List provisioning is planned from them: what a run needs, checked at set-up, and how the
// listed ids are dealt to parallel processes.

package conformance

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/workbinkit/workbinkit/spec"
)

// need is n interactions of media that a spec provisions into the workbin named workbin (a
// TargetInfo.Workbins name: agent, agentPlace, agent2, agentGroup, placeGroup).
type need struct {
	workbin string
	media   spec.Media
	n       int
}

// uses is a need literal: uses(2, wbAgent, spec.MediaWorkitem).
func uses(n int, workbin string, m spec.Media) need { return need{workbin: workbin, media: m, n: n} }

// provisionName is the workbin a spec that needs name provisions into on this target: a
// target without a Place workbin gets the one of agent2 instead (refusedSpec).
func (i *TargetInfo) provisionName(name string) string {
	if name == wbAgentPlace && i.workbin(wbAgentPlace).ID == "" {
		return wbAgent2
	}
	return name
}

// needKey is one pool of list provisioning: a workbin id and a media.
type needKey struct {
	workbin string
	media   spec.Media
}

// consume charges one provisioning of m into w to the spec's declared needs. Provisioning
// more than the spec declares is a defect of the suite: the needs table and the list
// check would undercount, so the spec fails saying so.
func (t *T) consume(w WorkbinRef, m spec.Media) {
	k := needKey{w.ID, m}
	declared := 0
	for _, nd := range t.s.byID[t.id].needs {
		if t.s.info.workbin(t.s.info.provisionName(nd.workbin)) == w && nd.media == m {
			declared += nd.n
		}
	}
	t.mu.Lock()
	if t.used == nil {
		t.used = map[needKey]int{}
	}
	t.used[k]++
	used := t.used[k]
	t.mu.Unlock()
	if used > declared {
		ginkgo.Fail(fmt.Sprintf("conformance suite defect: spec %s provisions %d %s into %s but its needs declare %d (specDef.needs in specs_*.go)", t.id, used, m, w.Label, declared))
	}
}

// checkNeedsUsed runs when a spec's body returned: it provisioned exactly what it declares.
func (t *T) checkNeedsUsed() {
	t.mu.Lock()
	used := maps.Clone(t.used)
	t.mu.Unlock()
	want := map[needKey]int{}
	for _, nd := range t.s.byID[t.id].needs {
		if w := t.s.info.workbin(t.s.info.provisionName(nd.workbin)); w.ID != "" {
			want[needKey{w.ID, nd.media}] += nd.n
		}
	}
	if !maps.Equal(used, want) {
		ginkgo.Fail(fmt.Sprintf("conformance suite defect: spec %s provisioned %s but its needs declare %s (specDef.needs in specs_*.go)", t.id, countsText(used), countsText(want)))
	}
}

// countsText gives "2 workitem in w1, 1 chat in w2".
func countsText(c map[needKey]int) string {
	if len(c) == 0 {
		return "nothing"
	}
	var parts []string
	for _, k := range slices.SortedFunc(maps.Keys(c), compareNeedKeys) {
		parts = append(parts, fmt.Sprintf("%d %s in workbin %s", c[k], k.media, k.workbin))
	}
	return strings.Join(parts, ", ")
}

// runs reports whether d would run: its features are declared and the run's filters, if
// any (sel: label filter, --focus, --skip), select it.
func runs(d specDef, o *Options, sel func(specDef) bool) bool {
	for _, f := range d.features {
		if !o.Supports(f) {
			return false
		}
	}
	return sel == nil || sel(d)
}

// leafLabels are the labels of d's It as Ginkgo sees them: its id label, and "Serial",
// which Ginkgo's Serial decorator adds (a --label-filter may name it).
func leafLabels(d specDef) []string {
	labels := []string{idLabelPrefix + d.id}
	if d.serial {
		labels = append(labels, "Serial")
	}
	return labels
}

// checkFilters returns an error for a label filter, focus or skip string Ginkgo would
// refuse: a run never starts with one, and --list-needs must not count as if it were not
// there.
func checkFilters(cfg types.SuiteConfig) error {
	if _, err := types.ParseLabelFilter(cfg.LabelFilter); err != nil {
		return fmt.Errorf("--label-filter %q: %w", cfg.LabelFilter, err)
	}
	for _, set := range []struct {
		flag    string
		strings []string
	}{{"--focus", cfg.FocusStrings}, {"--skip", cfg.SkipStrings}} {
		for _, f := range set.strings {
			if _, err := regexp.Compile(f); err != nil {
				return fmt.Errorf("%s %q: %w", set.flag, f, err)
			}
		}
	}
	return nil
}

// specSelector decides, as Ginkgo does (selectedBy), whether the label filter, focus and
// skip strings of cfg select a spec of defs; nil when cfg filters nothing. (Ginkgo's
// --focus-file, --skip-file and --sem-ver-filter are not applied: the count is then of
// more specs than run, never fewer.)
func specSelector(defs []specDef, cfg types.SuiteConfig) func(specDef) bool {
	if cfg.LabelFilter == "" && len(cfg.FocusStrings) == 0 && len(cfg.SkipStrings) == 0 {
		return nil
	}
	// The spec as Ginkgo reports it: its feature group's Describe, with the group's labels,
	// and the It with its id label (Suite.register).
	reports := map[string]types.SpecReport{}
	for _, g := range groupByFeatures(defs) {
		labels := make([]string, len(g.features))
		for i, f := range g.features {
			labels[i] = FeatureLabel(f)
		}
		for _, d := range g.defs {
			reports[d.id] = types.SpecReport{ContainerHierarchyTexts: []string{g.title}, ContainerHierarchyLabels: [][]string{labels},
				LeafNodeText: d.text, LeafNodeLabels: leafLabels(d)}
		}
	}
	selected := selectedBy(cfg, suiteDescription)
	return func(d specDef) bool { return selected(reports[d.id]) }
}

// needCount is what a pool needs: every parallel process may be dealt any parallel spec
// (Ginkgo hands specs out as processes free up), so each needs the parallel specs' total;
// Serial specs run on process 1 only.
type needCount struct {
	parallel, serial int
	specs            []string
}

// forProcs is what total processes need together.
func (c needCount) forProcs(total int) int { return total*c.parallel + c.serial }

// quota is what process proc (1-based) needs.
func (c needCount) quota(proc int) int {
	if proc == 1 {
		return c.parallel + c.serial
	}
	return c.parallel
}

// needsByName sums the needs of the specs that run, by workbin name and media.
func needsByName(defs []specDef, o *Options, sel func(specDef) bool) map[string]map[spec.Media]*needCount {
	out := map[string]map[spec.Media]*needCount{}
	for _, d := range defs {
		if !runs(d, o, sel) {
			continue
		}
		for _, nd := range d.needs {
			byMedia := out[nd.workbin]
			if byMedia == nil {
				byMedia = map[spec.Media]*needCount{}
				out[nd.workbin] = byMedia
			}
			c := byMedia[nd.media]
			if c == nil {
				c = &needCount{}
				byMedia[nd.media] = c
			}
			if d.serial {
				c.serial += nd.n
			} else {
				c.parallel += nd.n
			}
			if !slices.Contains(c.specs, d.id) {
				c.specs = append(c.specs, d.id)
			}
		}
	}
	return out
}

// listPlan is list provisioning planned for a run: the need of each pool on the target.
type listPlan struct {
	total int
	pools map[needKey]*needCount
}

// planList resolves the needs of the specs that run to the target's workbins.
func planList(defs []specDef, o *Options, info *TargetInfo, sel func(specDef) bool, total int) listPlan {
	p := listPlan{total: max(total, 1), pools: map[needKey]*needCount{}}
	for name, byMedia := range needsByName(defs, o, sel) {
		w := info.workbin(info.provisionName(name))
		if w.ID == "" {
			continue // the specs fail on the missing workbin itself, whatever the list holds
		}
		for m, c := range byMedia {
			k := needKey{w.ID, m}
			sum := p.pools[k]
			if sum == nil {
				sum = &needCount{}
				p.pools[k] = sum
			}
			sum.parallel += c.parallel
			sum.serial += c.serial
			sum.specs = append(sum.specs, c.specs...)
		}
	}
	return p
}

// check says, for each pool the list is short of, how many ids to add.
func (p listPlan) check(list []PlacedInteraction) error {
	have := map[needKey]int{}
	for _, x := range list {
		have[needKey{x.Workbin, x.Media}]++
	}
	var short []string
	for _, k := range slices.SortedFunc(maps.Keys(p.pools), compareNeedKeys) {
		want := p.pools[k].forProcs(p.total)
		if have[k] >= want {
			continue
		}
		procs := "1 process"
		if p.total > 1 {
			procs = fmt.Sprintf("%d processes", p.total)
		}
		short = append(short, fmt.Sprintf("list provisioning: workbin %s has %d %s ids; this run needs %d (%s): add %d",
			k.workbin, have[k], k.media, want, procs, want-have[k]))
	}
	if len(short) == 0 {
		return nil
	}
	return fmt.Errorf("%s\n(provisioning.interactions of the config file; --list-needs prints what each spec takes)", strings.Join(short, "\n"))
}

// share deals list to process proc of the plan's total: per pool, each process first gets
// its quota (in process order, so process 1 also has the Serial specs' share), then the
// spare ids go round. Dealing by pool keeps a process from getting all of one workbin's ids
// and none of another's.
func (p listPlan) share(list []PlacedInteraction, proc int) []PlacedInteraction {
	byPool := map[needKey][]PlacedInteraction{}
	var order []needKey
	for _, x := range list {
		k := needKey{x.Workbin, x.Media}
		if _, seen := byPool[k]; !seen {
			order = append(order, k)
		}
		byPool[k] = append(byPool[k], x)
	}
	var out []PlacedInteraction
	for _, k := range order {
		xs := byPool[k]
		c := p.pools[k]
		if c == nil {
			c = &needCount{}
		}
		next := 0
		for q := 1; q <= p.total; q++ {
			n := min(c.quota(q), len(xs)-next)
			if q == proc {
				out = append(out, xs[next:next+n]...)
			}
			next += n
		}
		for i := next; i < len(xs); i++ {
			if (i-next)%p.total == proc-1 {
				out = append(out, xs[i])
			}
		}
	}
	return out
}

func compareNeedKeys(a, b needKey) int {
	if c := strings.Compare(a.workbin, b.workbin); c != 0 {
		return c
	}
	return strings.Compare(string(a.media), string(b.media))
}

// needsProcs are the process counts ListNeeds gives a column (make conform runs 2).
func needsProcs() []int { return []int{1, 2, 4} }

// ListNeeds renders, as Markdown, what list provisioning needs for the features of o and
// the specs the label filter, focus and skip strings of cfg select: per workbin and media,
// for 1, 2 and 4 parallel processes, then per spec. It is what --list-needs prints;
// docs/provisioning-needs.md is this table for every feature and no filter.
func ListNeeds(o Options, cfg types.SuiteConfig) (string, error) {
	if err := checkFilters(cfg); err != nil {
		return "", &UsageError{Err: err}
	}
	defs := allSpecs()
	sel := specSelector(defs, cfg)
	byName := needsByName(defs, &o, sel)
	configured := map[string]string{
		wbAgent: o.Workbins.Agent, wbAgentPlace: o.Workbins.AgentPlace, wbAgent2: o.Workbins.Agent2,
		wbAgentGroup: o.Workbins.AgentGroup.Workbin, wbPlaceGroup: o.Workbins.PlaceGroup.Workbin,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Provisioning needs of list mode\n\nFeatures: %s.\n\n", featureNames(o.Features))
	if sel != nil {
		var by []string
		if cfg.LabelFilter != "" {
			by = append(by, fmt.Sprintf("--label-filter `%s`", cfg.LabelFilter))
		}
		for _, f := range cfg.FocusStrings {
			by = append(by, fmt.Sprintf("--focus `%s`", f))
		}
		for _, f := range cfg.SkipStrings {
			by = append(by, fmt.Sprintf("--skip `%s`", f))
		}
		fmt.Fprintf(&b, "Filters: %s.\n\n", strings.Join(by, ", "))
	}
	b.WriteString("Each provisioned interaction is used by one spec once. Ginkgo hands a parallel process any spec " +
		"that is not Serial, so each process is dealt the parallel specs' count of every workbin and media; Serial " +
		"specs run on process 1 only. N processes need N × parallel + serial ids of each row. A run with a shorter " +
		"list stops at set-up and says how many ids to add.\n\n")
	b.WriteString("| workbin (config key) | media | parallel | serial |")
	for _, n := range needsProcs() {
		if n == 1 {
			b.WriteString(" 1 process |")
		} else {
			fmt.Fprintf(&b, " %d processes |", n)
		}
	}
	b.WriteString("\n| --- | --- | --- | --- |" + strings.Repeat(" --- |", len(needsProcs())) + "\n")
	row := func(label, media string, c needCount) {
		fmt.Fprintf(&b, "| %s | %s | %d | %d |", label, media, c.parallel, c.serial)
		for _, n := range needsProcs() {
			fmt.Fprintf(&b, " %d |", c.forProcs(n))
		}
		b.WriteString("\n")
	}
	var sum needCount
	for _, name := range []string{wbAgent, wbAgentPlace, wbAgent2, wbAgentGroup, wbPlaceGroup} {
		byMedia := byName[name]
		for _, m := range slices.Sorted(maps.Keys(byMedia)) {
			c := byMedia[m]
			label := "workbins." + name
			if id := configured[name]; id != "" {
				label += " = " + id
			}
			if name == wbAgentPlace {
				label += " (agent2's workbin when there is none)"
			}
			row(label, string(m), *c)
			sum.parallel += c.parallel
			sum.serial += c.serial
		}
	}
	row("**all**", "", sum)
	b.WriteString("\n## Per spec\n\n| spec | serial | takes |\n| --- | --- | --- |\n")
	for _, d := range defs {
		if len(d.needs) == 0 || !runs(d, &o, sel) {
			continue
		}
		takes := make([]string, len(d.needs))
		for i, nd := range d.needs {
			takes[i] = fmt.Sprintf("%d %s from workbins.%s", nd.n, nd.media, nd.workbin)
		}
		serial := ""
		if d.serial {
			serial = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", d.id, serial, strings.Join(takes, ", "))
	}
	return b.String(), nil
}
