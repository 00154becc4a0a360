package idp

import (
	"errors"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// logo serves the logo of a client or an organisation at
// templates.LogosPath{client,org}/{id}, same origin so the pages' img-src
// 'self' covers it. The ETag is the logo's sum, which is also the ?v= of the
// pages' URLs: a new upload is a new URL, and a browser revalidating an old one
// gets the current image. Unknown owners and owners without a logo are 404.
func (p *Provider) logo(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, p.prefix+templates.LogosPath)
	if rest == r.URL.Path {
		rest = strings.TrimPrefix(r.URL.Path, templates.LogosPath) // at the host's root
	}
	kind, id, ok := strings.Cut(rest, "/")
	owner := storage.LogoOwner(kind)
	if !ok || id == "" || (owner != storage.LogoClient && owner != storage.LogoOrg) {
		http.NotFound(w, r)
		return
	}
	l, err := p.opt.Store.GetLogo(r.Context(), owner, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, storage.ErrUnavailable):
		http.Error(w, "try again shortly", http.StatusServiceUnavailable)
		return
	case err != nil:
		p.opt.Log.ErrorContext(r.Context(), "logo not read", "owner", owner, "id", id, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	templates.ServeImage(w, r, l.Content, l.MediaType, `"`+l.Sum+`"`)
}
