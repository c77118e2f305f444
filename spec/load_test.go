package spec

import "testing"

func TestLoadEmbedded(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Schemas()) == 0 || len(c.OperationIDs()) != 15 {
		t.Fatalf("schemas %v ops %v", c.Schemas(), c.OperationIDs())
	}
}
