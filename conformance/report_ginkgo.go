// Ginkgo's JUnit and JSON reports, written by the suite itself (--report-junit,
// --report-ginkgo-json) rather than by Ginkgo's --junit-report/--json-report. The ginkgo
// CLI writes its own reports after the suite's processes have exited, so an interrupted
// `make conform` returned before they existed; these are written by process 1's
// ReportAfterSuite with the conformance report, before the process exits, with the same
// file mode, without terminal escapes, and with the specs an interrupted run did not
// reach marked as not run.

package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// ginkgoReportForFiles is a deep copy of Ginkgo's report for the JUnit and JSON files:
// terminal escapes removed everywhere, and, when the run was interrupted, the specs it did
// not bring to their end turned into errors that say "not run" (JUnit has no such state;
// a skip would read as a decision about the spec).
func ginkgoReportForFiles(r ginkgo.Report, in *reportInput, rep *Report) (ginkgo.Report, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return r, fmt.Errorf("conformance: copying the Ginkgo report: %w", err)
	}
	var out ginkgo.Report
	if err := json.Unmarshal(b, &out); err != nil {
		return r, fmt.Errorf("conformance: copying the Ginkgo report: %w", err)
	}
	stripStrings(reflect.ValueOf(&out).Elem())
	// The conformance report decided which specs did not run, including those Ginkgo
	// does not list (a failed or interrupted setup): the files say the same.
	notRun := map[string]SpecResult{}
	for _, s := range rep.Specs {
		if s.State == StateNotRun {
			notRun[s.ID] = s
		}
	}
	for i := range out.SpecReports {
		s := &out.SpecReports[i]
		id := specIDOf(s.Labels())
		nr, ok := notRun[id]
		if s.LeafNodeType != types.NodeTypeIt || !ok {
			continue
		}
		delete(notRun, id)
		msg := nr.Reason
		if stoppedByRun(*s) {
			msg += "\n" + s.Failure.Message
		}
		s.State, s.Failure.Message = types.SpecStateInterrupted, msg
	}
	for _, id := range slices.Sorted(maps.Keys(notRun)) {
		s := syntheticSpec(in.meta[id])
		s.State, s.Failure.Message = types.SpecStateInterrupted, notRun[id].Reason
		out.SpecReports = append(out.SpecReports, s)
	}
	if in.interrupted != nil {
		out.SpecialSuiteFailureReasons = append(out.SpecialSuiteFailureReasons,
			"interrupted at "+in.interrupted.At+": "+in.interrupted.Reason)
	}
	return out, nil
}

// writeGinkgoReports writes the JUnit and Ginkgo JSON files of paths ("" skips one).
func writeGinkgoReports(r ginkgo.Report, in *reportInput, rep *Report, paths Reports) error {
	if paths.JUnit == "" && paths.GinkgoJSON == "" {
		return nil
	}
	c, err := ginkgoReportForFiles(r, in, rep)
	if err != nil {
		return err
	}
	if paths.JUnit != "" {
		if err := writeGenerated(paths.JUnit, func(dst string) error {
			return reporters.GenerateJUnitReportWithConfig(c, dst, reporters.JunitReportConfig{})
		}); err != nil {
			return err
		}
	}
	if paths.GinkgoJSON != "" {
		if err := writeGenerated(paths.GinkgoJSON, func(dst string) error { return reporters.GenerateJSONReport(c, dst) }); err != nil {
			return err
		}
	}
	return nil
}

// writeGenerated lets gen write a file beside path, then gives it the reports' mode and
// renames it into place: readers never see half a file, and the mode does not depend on
// the umask.
func writeGenerated(path string, gen func(dst string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("conformance: report: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".report-*")
	if err != nil {
		return fmt.Errorf("conformance: report: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	if err := gen(name); err != nil {
		os.Remove(name)
		return fmt.Errorf("conformance: report %s: %w", path, err)
	}
	if err := os.Chmod(name, reportFileMode); err != nil {
		os.Remove(name)
		return fmt.Errorf("conformance: report: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("conformance: report: %w", err)
	}
	return nil
}

// stripJSONText removes terminal escapes from the strings inside a JSON text (a report
// entry's value), where they are written \u001b….
func stripJSONText(text string) string {
	if !strings.Contains(text, `\u001b`) {
		return text
	}
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return text
	}
	stripAny(&v)
	b, err := json.Marshal(v)
	if err != nil {
		return text
	}
	return string(b)
}

// stripAny removes terminal escapes from the strings of a decoded JSON value.
func stripAny(v *any) {
	switch x := (*v).(type) {
	case string:
		*v = stripANSI(x)
	case []any:
		for i := range x {
			stripAny(&x[i])
		}
	case map[string]any:
		for k, e := range x {
			stripAny(&e)
			x[k] = e
		}
	}
}

// stripStrings removes terminal escapes from every exported string reachable from v
// (structs, pointers, slices, arrays, string-keyed maps' values).
func stripStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(stripANSI(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripStrings(v.Elem())
		}
	case reflect.Struct:
		if v.CanAddr() {
			if e, ok := v.Addr().Interface().(*types.ReportEntryValue); ok {
				// Its raw value (unexported) is what the JUnit writer encodes: decode it
				// again from the cleaned JSON.
				clean, err := json.Marshal(struct{ AsJSON, Representation string }{stripJSONText(e.AsJSON), stripANSI(e.Representation)})
				if err == nil {
					_ = e.UnmarshalJSON(clean) // AsJSON was valid JSON and still is
				}
				return
			}
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				stripStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			stripStrings(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			stripStrings(e)
			v.SetMapIndex(k, e)
		}
	}
}
