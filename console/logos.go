package console

import (
	"errors"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/branding"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// maxUpload bounds a logo form: the logo and the multipart framing around it.
const maxUpload = branding.MaxLogoSize + 16<<10

// postedLogo reads the "logo" file of a multipart form, one byte over the
// limit at most, so that branding refuses an oversized one as such. A body
// over maxUpload is refused here.
func postedLogo(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, storage.Invalid("logo", "the logo is larger than %d KiB", branding.MaxLogoSize/1024)
		}
		return nil, flows.UserError(http.StatusBadRequest, "error.bad_request", "flow.bad_form", err)
	}
	f, _, err := r.FormFile("logo")
	if err != nil {
		return nil, storage.Invalid("logo", "choose an image file to upload")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, branding.MaxLogoSize+1))
	if err != nil {
		return nil, flows.UserError(http.StatusBadRequest, "error.bad_request", "flow.bad_form", err)
	}
	return b, nil
}

// clientLogoChange runs change on the client the path names, then shows the
// client's page again with what was refused, or goes back with notice.
func (h *Handlers) clientLogoChange(w http.ResponseWriter, r *http.Request, notice string,
	change func(p admin.Principal, id string) error) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	id := mux.Vars(r)["id"]
	err = change(p, id)
	if msgs, bad := refused(err); bad {
		c, cerr := h.Service.Client(r.Context(), p, id)
		if cerr != nil {
			return failure(cerr)
		}
		page := h.clientPage(r, p, user.Email, specOf(c), c.LogoSum, false)
		page.Errors = msgs
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Client(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/clients/"+id, notice)
}

// UploadClientLogo sets a client's logo from the console's form.
func (h *Handlers) UploadClientLogo(w http.ResponseWriter, r *http.Request) error {
	return h.clientLogoChange(w, r, "logo-saved", func(p admin.Principal, id string) error {
		b, err := postedLogo(w, r)
		if err != nil {
			return err
		}
		_, err = h.Service.SetClientLogo(r.Context(), p, id, b)
		return err
	})
}

// RemoveClientLogo removes a client's logo.
func (h *Handlers) RemoveClientLogo(w http.ResponseWriter, r *http.Request) error {
	return h.clientLogoChange(w, r, "logo-removed", func(p admin.Principal, id string) error {
		return h.Service.RemoveClientLogo(r.Context(), p, id)
	})
}

// UploadOrgLogo sets an organisation's logo from the console's form.
func (h *Handlers) UploadOrgLogo(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "logo-saved", func(p admin.Principal, id string, _ func(string) string) error {
		b, err := postedLogo(w, r)
		if err != nil {
			return err
		}
		_, err = h.Service.SetOrgLogo(r.Context(), p, id, b)
		return err
	})
}

// RemoveOrgLogo removes an organisation's logo.
func (h *Handlers) RemoveOrgLogo(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "logo-removed", func(p admin.Principal, id string, _ func(string) string) error {
		return h.Service.RemoveOrgLogo(r.Context(), p, id)
	})
}

// SetOrgBrandName saves the name an organisation's members see.
func (h *Handlers) SetOrgBrandName(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "brand-saved", func(p admin.Principal, id string, form func(string) string) error {
		_, err := h.Service.SetOrgBrandName(r.Context(), p, id, form("brand_name"))
		return err
	})
}
