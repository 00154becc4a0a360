package adminapi

import (
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/branding"
)

// readLogo reads a logo upload: the raw image as the body, whatever its
// Content-Type says (branding sniffs the type). One byte more than the limit
// is read so that an oversized logo is refused as one, not cut short.
func readLogo(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, branding.MaxLogoSize+1))
	if err != nil {
		return nil, &badRequest{field: "logo", msg: "the logo could not be read"}
	}
	return b, nil
}

func (a *API) setClientLogo(r *http.Request, p admin.Principal) (int, any, error) {
	b, err := readLogo(r)
	if err != nil {
		return 0, nil, err
	}
	c, err := a.Service.SetClientLogo(r.Context(), p, mux.Vars(r)["id"], b)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toClientJSON(c, ""), nil
}

func (a *API) removeClientLogo(r *http.Request, p admin.Principal) (int, any, error) {
	return http.StatusNoContent, nil, a.Service.RemoveClientLogo(r.Context(), p, mux.Vars(r)["id"])
}

func (a *API) setOrgLogo(r *http.Request, p admin.Principal) (int, any, error) {
	b, err := readLogo(r)
	if err != nil {
		return 0, nil, err
	}
	o, err := a.Service.SetOrgLogo(r.Context(), p, mux.Vars(r)["id"], b)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toOrgJSON(o), nil
}

func (a *API) removeOrgLogo(r *http.Request, p admin.Principal) (int, any, error) {
	return http.StatusNoContent, nil, a.Service.RemoveOrgLogo(r.Context(), p, mux.Vars(r)["id"])
}
