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
	f.Add([]byte(`{"channel":"/v2/me/emails","data":{"messageType":"EmailStateChangeMessage","notificationType":"Saved","phoneNumber":"1","email":{"id":"e","state":"Lost","capabilities":["Fly"]}}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var warnings []Issue
		err := c.ValidateMessage(msg, CollectWarnings(&warnings))
		if err != nil && IssuesOf(err) == nil {
			t.Fatalf("a fault that is not a *ValidationError: %v", err)
		}
		for _, is := range append(IssuesOf(err), warnings...) {
			if _, perr := SplitPointer(is.Pointer); perr != nil || is.Rule == "" {
				t.Fatalf("bad issue %+v", is)
			}
		}
		// The two levels: Strict's issues are the default issues plus the warnings.
		var ve *ValidationError
		if errors.As(err, &ve) && len(ve.Warnings) != len(warnings) {
			t.Fatalf("the error carries %d warnings, CollectWarnings got %d", len(ve.Warnings), len(warnings))
		}
		strict := IssuesOf(c.ValidateMessage(msg, Strict()))
		if len(strict) != len(IssuesOf(err))+len(warnings) {
			t.Fatalf("Strict gives %d issues; default %d issues and %d warnings", len(strict), len(IssuesOf(err)), len(warnings))
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
