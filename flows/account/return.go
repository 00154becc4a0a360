package account

import (
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows"
)

// returnTo is the account page a re-verification started by r comes back to: a
// page's own address for a GET (an area keeps its notice), and for a form's POST
// (which a redirect cannot repeat) the page that offers the action again — the
// set-up of an app, the confirmation of new recovery codes, the keys' area, the
// phone and password forms; removals and other one-click actions come back to
// their area, where the user clicks again. The value is built from the paths
// below and an allowed query only; flows.AccountReturn checks it again before it
// is followed.
func returnTo(r *http.Request) string {
	q := r.URL.Query()
	keep := url.Values{}
	if q.Get("replace") == "1" {
		keep.Set("replace", "1")
	}
	page := flows.PathAccount
	switch r.URL.Path {
	case flows.PathAccount:
		if _, ok := accountNotices[q.Get("done")]; ok && r.Method == http.MethodGet {
			keep.Set("done", q.Get("done"))
		}
	case PathAccountAdd, PathAccountQR:
		page = PathAccountAdd
	case PathAccountCodes:
		page = PathAccountCodes
	case PathAccountKeyOptions, PathAccountKeyAdd:
		return PathAccountKeys // the browser's prompt needs a click on that page
	case PathAccountApps, PathAccountKeys, PathAccountSMS, PathAccountDevices, PathAccountSessions:
		page = r.URL.Path
		if _, ok := accountNotices[q.Get("done")]; ok && r.Method == http.MethodGet {
			keep.Set("done", q.Get("done"))
		}
	case PathAccountRecovery:
		page = PathAccountRecovery
		// "I stored them" after a first factor was added: that factor's area,
		// which the re-verification (now with that factor) leads to.
		if area, ok := doneArea[q.Get("done")]; ok && r.Method == http.MethodPost {
			page = area
			keep.Set("done", q.Get("done"))
		}
	case PathAccountRemove:
		page = PathAccountApps // a one-click action: back to its area, to click again
	case PathAccountKeyRemove:
		page = PathAccountKeys
	case PathAccountPhoneRemove:
		page = PathAccountSMS
	case PathAccountTrustRemove, PathAccountForgetDevices:
		page = PathAccountDevices
	case PathAccountSignOutOthers, PathAccountEndSession:
		page = PathAccountSessions
	case PathAccountPhone, PathAccountPhoneResend:
		page = PathAccountPhone
		if r.Method != http.MethodGet || q.Get("change") == "1" {
			keep.Set("change", "1") // a form posted in the past starts again with the number
		}
		if q.Get("mode") == "backup" {
			keep.Set("mode", "backup")
		}
	case PathAccountPassword:
		page = PathAccountPassword
	case PathAccountTurnOff:
		page = PathAccountTurnOff
	}
	if page != PathAccountAdd {
		keep.Del("replace")
	}
	if len(keep) > 0 {
		return page + "?" + keep.Encode()
	}
	return page
}
