package spec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"testing"
)

// The seed corpus runs in every go test; go test -fuzz=FuzzXxx ./spec explores further.

func FuzzValidateMessage(f *testing.F) {
	c := loadT(f)
	f.Add([]byte(`{"channel":"/v2/me/workitems","data":` + pulledWorkitem + `}`))
	f.Add([]byte(`{"channel":"/v2/me/workbins","data":{"messageType":"WorkbinStateChangeMessage","action":"ItemRemoved","id":"w"}}`))
	f.Add([]byte(`{"channel":"/v2/me/chats","data":{"messageType":"ChatStateChangeMessage"}}`))
	f.Add([]byte(`[{"channel":"/meta/connect"}]`))
	f.Add([]byte(`{"channel":`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","workitem":{"userData":{"a/b~c":[{}]}}}} x`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		err := c.ValidateMessage(msg)
		if err != nil && IssuesOf(err) == nil {
			t.Fatalf("a fault that is not a *ValidationError: %v", err)
		}
		for _, is := range IssuesOf(err) {
			if _, perr := SplitPointer(is.Pointer); perr != nil || is.Rule == "" {
				t.Fatalf("bad issue %+v", is)
			}
		}
	})
}

func FuzzValidateRequestBody(f *testing.F) {
	c := loadT(f)
	f.Add([]byte(`{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`))
	f.Add([]byte(`{"operationName":"AddWorkitem"}`))
	f.Add([]byte(`{"operationName":5}`))
	f.Add([]byte(`{"operationName":"PullChat","id":"x","nickname":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v2/me/workbins/w?agentGroup=g", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rt, err := c.ValidateRequest(context.Background(), r)
		if rt == nil || rt.OperationID != OpPostMyWorkbin {
			t.Fatalf("route lost: %v %v", rt, err)
		}
		if err != nil && IssuesOf(err) == nil {
			t.Fatalf("a fault that is not a *ValidationError: %v", err)
		}
		if got, _ := io.ReadAll(r.Body); !bytes.Equal(got, body) {
			t.Fatalf("body not restored")
		}
	})
}

func FuzzSplitPointer(f *testing.F) {
	for _, p := range []string{"", "/", "/a~1b/c~0d", "/~", "/0/1", "a"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tokens, err := SplitPointer(p)
		if err != nil {
			return
		}
		if back := Pointer(tokens...); back != p {
			t.Fatalf("Pointer(SplitPointer(%q)) = %q", p, back)
		}
	})
}

func FuzzLoadSchema(f *testing.F) {
	seed, err := fs.ReadFile(Files(), SchemaDir+"/workitem.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"type":["string","null"]}`))
	f.Add([]byte(`{"$ref":"http://127.0.0.1:1/x.json"}`))
	f.Add([]byte(`{"anyOf":[{"properties":{}}]}`))
	f.Fuzz(func(t *testing.T, schema []byte) {
		m := contractCopy(t)
		m[SchemaDir+"/workitem.json"].Data = schema
		c, err := LoadFS(m)
		if (c == nil) == (err == nil) {
			t.Fatalf("contract %v and error %v", c != nil, err)
		}
		var fe *FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("a load fault that is not a *FileError: %v", err)
		}
	})
}
