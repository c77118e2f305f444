package spec

import "testing"

func TestLoadAdmin(t *testing.T) {
	doc, err := LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for p, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", m, p)
			}
			if ids[op.OperationID] {
				t.Errorf("operationId %s twice", op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	if len(ids) < 20 {
		t.Errorf("only %d operations", len(ids))
	}
}
