package adminapi

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

type policyJSON struct {
	Level         string   `json:"level"`
	CoveredGroups []string `json:"covered_groups"`
	GraceDays     int      `json:"grace_days"`
}

type orgJSON struct {
	ID     string     `json:"id"`
	Name   string     `json:"name"`
	Groups []string   `json:"groups"`
	Policy policyJSON `json:"policy"`
	// BrandName and LogoURL are what the members see instead of the product's.
	BrandName string    `json:"brand_name"`
	LogoURL   string    `json:"logo_url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toOrgJSON(o storage.Organisation) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Groups: orEmpty(o.Groups),
		Policy:    policyJSON{Level: string(o.Policy.Level), CoveredGroups: orEmpty(o.Policy.CoveredGroups), GraceDays: o.Policy.GraceDays},
		BrandName: o.BrandName, LogoURL: templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum),
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

func (a *API) listOrgs(r *http.Request, p admin.Principal) (int, any, error) {
	os, err := a.Service.Orgs(r.Context(), p)
	if err != nil {
		return 0, nil, err
	}
	out := list[orgJSON]{Items: []orgJSON{}}
	for _, o := range os {
		out.Items = append(out.Items, toOrgJSON(o))
	}
	return http.StatusOK, out, nil
}

func (a *API) getOrg(r *http.Request, p admin.Principal) (int, any, error) {
	o, err := a.Service.Org(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toOrgJSON(o), nil
}

type orgInput struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (a *API) createOrg(r *http.Request, p admin.Principal) (int, any, error) {
	var in orgInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	o, err := a.Service.CreateOrg(r.Context(), p, orgs.CreateSpec{ID: in.ID, Name: in.Name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toOrgJSON(o), nil
}

type nameInput struct {
	Name string `json:"name"`
}

// updateOrg changes the fields sent: the name, the brand name or both.
func (a *API) updateOrg(r *http.Request, p admin.Principal) (int, any, error) {
	var in struct {
		Name      *string `json:"name"`
		BrandName *string `json:"brand_name"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil && in.BrandName == nil {
		return 0, nil, &badRequest{msg: "send name, brand_name or both"}
	}
	id := mux.Vars(r)["id"]
	if in.BrandName != nil {
		// Refused before the name changes, so a refusal changes nothing.
		if err := admin.CheckBrandName(*in.BrandName); err != nil {
			return 0, nil, err
		}
	}
	if in.Name != nil {
		if _, err := a.Service.RenameOrg(r.Context(), p, id, *in.Name); err != nil {
			return 0, nil, err
		}
	}
	if in.BrandName != nil {
		if _, err := a.Service.SetOrgBrandName(r.Context(), p, id, *in.BrandName); err != nil {
			return 0, nil, err
		}
	}
	return a.getOrgAfter(r, p, id, http.StatusOK)
}

func (a *API) addGroup(r *http.Request, p admin.Principal) (int, any, error) {
	var in nameInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	id := mux.Vars(r)["id"]
	if err := a.Service.AddGroup(r.Context(), p, id, in.Name); err != nil {
		return 0, nil, err
	}
	return a.getOrgAfter(r, p, id, http.StatusCreated)
}

func (a *API) renameGroup(r *http.Request, p admin.Principal) (int, any, error) {
	var in nameInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	v := mux.Vars(r)
	if err := a.Service.RenameGroup(r.Context(), p, v["id"], v["group"], in.Name); err != nil {
		return 0, nil, err
	}
	return a.getOrgAfter(r, p, v["id"], http.StatusOK)
}

// getOrgAfter answers a change with the organisation as it is now.
func (a *API) getOrgAfter(r *http.Request, p admin.Principal, id string, status int) (int, any, error) {
	o, err := a.Service.Org(r.Context(), p, id)
	if err != nil {
		return 0, nil, err
	}
	return status, toOrgJSON(o), nil
}

func (a *API) setPolicy(r *http.Request, p admin.Principal) (int, any, error) {
	var in struct {
		Level         *string   `json:"level"`
		CoveredGroups *[]string `json:"covered_groups"`
		GraceDays     *int      `json:"grace_days"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	for field, sent := range map[string]bool{"level": in.Level != nil, "covered_groups": in.CoveredGroups != nil, "grace_days": in.GraceDays != nil} {
		if !sent {
			return 0, nil, &badRequest{field: field, msg: field + " is required: the policy is replaced as a whole"}
		}
	}
	o, err := a.Service.SetPolicy(r.Context(), p, mux.Vars(r)["id"],
		storage.OrgPolicy{Level: storage.SecurityLevel(*in.Level), CoveredGroups: *in.CoveredGroups, GraceDays: *in.GraceDays})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toOrgJSON(o), nil
}
