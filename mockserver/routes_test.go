package mockserver

import (
	"maps"
	"slices"
	"testing"
)

// The route table and the contract name the same operations: every operationId has its
// handlers, every operationName a POST's discriminator maps has one, and the table has
// nothing the contract lacks.
func TestRoutesCoverTheContract(t *testing.T) {
	m := newMock(t)
	c := contractT(t)
	table := m.srv.api
	if got, want := slices.Sorted(maps.Keys(table)), c.OperationIDs(); !slices.Equal(got, want) {
		t.Errorf("operationIds of the route table %v, of the contract %v", got, want)
	}
	for _, id := range c.OperationIDs() {
		want := c.OperationNames(id)
		if want == nil {
			want = []string{""} // a GET: no operationName
		}
		if got := slices.Sorted(maps.Keys(table[id])); !slices.Equal(got, want) {
			t.Errorf("%s: operationNames of the route table %q, of the contract %q", id, got, want)
		}
	}
}
