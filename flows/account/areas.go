package account

import (
	"context"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/templates"
)

// Paths of the account's areas: the overview links each, and each manages one
// kind of thing.
const (
	PathAccountApps     = "/account/apps"
	PathAccountKeys     = "/account/keys"
	PathAccountSMS      = "/account/sms"
	PathAccountRecovery = PathAccountCodesDone // GET shows the area, POST confirms new codes
	PathAccountDevices  = "/account/devices"
	PathAccountSessions = "/account/sessions"
)

// The areas, by the key templates.AccountPage.Area names them with; the
// titles are catalogue keys.
var areas = []struct{ key, path, title string }{
	{templates.AreaApps, PathAccountApps, "account.area_apps"},
	{templates.AreaKeys, PathAccountKeys, "account.area_keys"},
	{templates.AreaSMS, PathAccountSMS, "account.area_sms"},
	{templates.AreaRecovery, PathAccountRecovery, "account.area_recovery"},
	{templates.AreaDevices, PathAccountDevices, "account.area_devices"},
	{templates.AreaSessions, PathAccountSessions, "account.area_sessions"},
}

// doneArea is the area an action's notice (accountNotices) is shown on.
var doneArea = map[string]string{
	"added": PathAccountApps, "replaced": PathAccountApps, "removed": PathAccountApps,
	"codes":     PathAccountRecovery,
	"key-added": PathAccountKeys, "key-removed": PathAccountKeys,
	"phone-added": PathAccountSMS, "phone-removed": PathAccountSMS,
	"forgotten": PathAccountDevices, "trust-removed": PathAccountDevices,
	"signed-out": PathAccountSessions, "session-ended": PathAccountSessions,
}

// doneURL is where an action that ended with notice done sends the browser: the
// area it belongs to, which says so.
func (s *Handlers) doneURL(done string) string {
	page, ok := doneArea[done]
	if !ok {
		page = flows.PathAccount
	}
	return s.Path(page) + "?done=" + done
}

// redirectDone answers an action with its area and notice.
func (s *Handlers) redirectDone(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, s.doneURL(done), http.StatusSeeOther)
}

// areaPage serves one area of the account (key "" is the overview).
func (s *Handlers) areaPage(key string) flows.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.showAccount(w, r, key)
	}
}

// overviewAreas are the overview's rows: each area with what it holds now.
func (s *Handlers) overviewAreas(ctx context.Context, p *templates.AccountPage) {
	for _, a := range areas {
		row := templates.AccountArea{Key: a.key, Title: a.title, URL: s.Path(a.path)}
		switch a.key {
		case templates.AreaApps:
			row.Status = s.names(ctx, len(p.Devices), func(i int) string { return p.Devices[i].Name })
		case templates.AreaKeys:
			if p.AddKeyAction == "" && len(p.Keys) == 0 {
				continue
			}
			row.Status = s.names(ctx, len(p.Keys), func(i int) string { return p.Keys[i].Name })
		case templates.AreaSMS:
			if p.AddPhoneURL == "" && p.Phone == "" {
				continue
			}
			row.Status = s.T(ctx, "account.not_set_up")
			if p.Phone != "" {
				row.Status = s.T(ctx, "account.phone_backup", "Phone", p.Phone)
				if p.PhonePrimary {
					row.Status = s.T(ctx, "account.phone_main", "Phone", p.Phone)
				}
			}
		case templates.AreaRecovery:
			switch {
			case p.RecoveryTotal > 0:
				row.Status = s.T(ctx, "account.codes_left", "Unused", p.RecoveryUnused, "Total", p.RecoveryTotal)
				row.Warn = p.RecoveryUnused == 0
			case p.SecondFactorOn():
				row.Status, row.Warn = s.T(ctx, "account.none"), true
			default:
				row.Status = s.T(ctx, "account.codes_later")
			}
		case templates.AreaDevices:
			if p.ForgetDevicesAction == "" && !p.ShowTrustedAddresses {
				continue
			}
			if p.ShowTrustedAddresses {
				row.Title = "account.area_devices_trust"
			}
			row.Status = s.count(ctx, len(p.RememberedDevices)+len(p.TrustedAddresses), "account.skip")
		case templates.AreaSessions:
			row.Status = s.count(ctx, len(p.Sessions), "account.browsers")
		}
		p.Areas = append(p.Areas, row)
	}
}

// names lists up to three names and says how many more ("None yet" for none).
func (s *Handlers) names(ctx context.Context, n int, name func(int) string) string {
	if n == 0 {
		return s.T(ctx, "account.none_yet")
	}
	var out []string
	for i := 0; i < n && i < 3; i++ {
		out = append(out, name(i))
	}
	if n > 3 {
		out = append(out, s.N(ctx, "account.more", n-3))
	}
	return strings.Join(out, ", ")
}

// count words a number with the catalogue's plural forms of key ("None" for none).
func (s *Handlers) count(ctx context.Context, n int, key string) string {
	if n == 0 {
		return s.T(ctx, "account.none")
	}
	return s.N(ctx, key, n)
}
