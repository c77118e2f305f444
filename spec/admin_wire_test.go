package spec

import (
	"net/http"
	"testing"
)

// TestAdminWire proves the control-plane constants against mock-admin.yaml.
func TestAdminWire(t *testing.T) {
	doc, err := LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) == 0 || doc.Servers[0].URL != AdminBasePath {
		t.Errorf("mock-admin.yaml servers: want %s", AdminBasePath)
	}
	for _, c := range []struct{ path, method string }{
		{AdminPathInteractions, http.MethodPost},
		{AdminPathOptions, http.MethodGet}, {AdminPathOptions, http.MethodPut}, {AdminPathOptions, http.MethodPatch},
		{AdminPathDeviations, http.MethodGet}, {AdminPathDeviations, http.MethodPut},
		{AdminPathChatCustomerTemplate, http.MethodPost},
	} {
		item := doc.Paths.Value(c.path)
		if item == nil || item.GetOperation(c.method) == nil {
			t.Errorf("mock-admin.yaml has no %s %s", c.method, c.path)
		}
	}
	place := doc.Paths.Value(AdminPathInteractions).Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	for _, f := range []string{AdminFieldWorkbinID, AdminFieldMedia, AdminFieldUserData} {
		if place.Properties[f] == nil {
			t.Errorf("placeInteraction request has no member %s", f)
		}
	}
	created := doc.Paths.Value(AdminPathInteractions).Post.Responses.Value("201").Value.Content.Get("application/json").Schema.Value
	if created.Properties[AdminFieldInteraction] == nil || created.Properties[FieldID] == nil {
		t.Errorf("placeInteraction reply lacks %s or %s", FieldID, AdminFieldInteraction)
	}
	customer := doc.Paths.Value(AdminPathChatCustomerTemplate).Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if customer.Properties[AdminFieldText] == nil || customer.Properties[AdminFieldAction] == nil {
		t.Errorf("actAsCustomer request lacks %s or %s", AdminFieldAction, AdminFieldText)
	} else if got := customer.Properties[AdminFieldAction].Value.Enum; len(got) != len(AdminCustomerActions()) {
		t.Errorf("actAsCustomer actions %v, want %v", got, AdminCustomerActions())
	} else {
		for i, a := range AdminCustomerActions() {
			if got[i] != a {
				t.Errorf("actAsCustomer action %d is %v, want %s", i, got[i], a)
			}
		}
	}
	if AdminChatCustomerPath("x") != "/chats/x/customer" {
		t.Errorf("AdminChatCustomerPath %s", AdminChatCustomerPath("x"))
	}
	opts := doc.Components.Schemas["Options"].Value
	for _, o := range []string{OptionEnableCsrfProtection, OptionEnableNotificationOnPullChat, OptionEnableJoinOnPullChat} {
		if opts.Properties[o] == nil {
			t.Errorf("Options has no member %s", o)
		}
	}
}
