// Reading decoded JSON (numbers as json.Number): integers, string arrays, object lists,
// equality and the JSON pointer of the first difference.

package conformance

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"github.com/workbinkit/workbinkit/spec"
)

// intOf reads an integer decoded with UseNumber.
func intOf(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case float64:
		return int64(n), float64(int64(n)) == n
	}
	return 0, false
}

// stringsIn is the strings of a decoded JSON array (other items left out; nil for no array).
func stringsIn(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// asList is the objects of a decoded JSON array (other items left out).
func asList(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// jsonEqual reports whether a and b encode to the same JSON.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// firstDiff finds the first difference between two decoded JSON values: its pointer and
// a description ("", "" when equal).
func firstDiff(a, b any, ptr string) (string, string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			av, ain := am[k]
			bv, bin := bm[k]
			p := ptr + spec.Pointer(k)
			switch {
			case !ain:
				return p, fmt.Sprintf("%s appeared (%v)", p, bv)
			case !bin:
				return p, fmt.Sprintf("%s disappeared (was %v)", p, av)
			}
			if dp, d := firstDiff(av, bv, p); d != "" {
				return dp, d
			}
		}
		return "", ""
	}
	if !reflect.DeepEqual(a, b) && !jsonEqual(a, b) {
		if ptr == "" {
			ptr = "/"
		}
		return ptr, fmt.Sprintf("%s was %v, now %v", ptr, a, b)
	}
	return "", ""
}

// dataPointer is the JSON pointer of a member of a CometD message's data:
// dataPointer("workitem", "state") is /data/workitem/state.
func dataPointer(tokens ...string) string { return "/data" + spec.Pointer(tokens...) }
