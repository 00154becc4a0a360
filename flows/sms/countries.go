package sms

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Country is one entry of the country-prefix selector.
type Country struct {
	ISO    string // ISO 3166-1 alpha-2 code, upper case: "DE"; the value Normalize takes
	Name   string // English name: "Germany"
	Prefix string // international calling code with "+": "+49"
}

var countries = sync.OnceValue(func() []Country {
	regions := phonenumbers.GetSupportedRegions() // the library's own map: read only
	out := make([]Country, 0, len(regions))
	for iso := range regions {
		cc := phonenumbers.GetCountryCodeForRegion(iso)
		if cc == 0 {
			continue
		}
		name, ok := countryNames[iso]
		if !ok {
			name = iso // a region newer than the table; TestCountries catches this
		}
		out = append(out, Country{ISO: iso, Name: name, Prefix: "+" + strconv.Itoa(cc)})
	}
	slices.SortFunc(out, func(a, b Country) int {
		return cmp.Or(cmp.Compare(sortKey(a.Name), sortKey(b.Name)), cmp.Compare(a.ISO, b.ISO))
	})
	return out
})

// Countries lists every region the phone-number metadata supports (about 245),
// sorted by English name, for a country-prefix selector. Several regions share a
// prefix (+1 for the US, Canada and much of the Caribbean; +44 for the UK, Jersey,
// Guernsey and the Isle of Man), so the selector's value should be the ISO code.
// The slice is a fresh copy on each call.
func Countries() []Country { return slices.Clone(countries()) }

// supportedRegion reports whether Normalize accepts iso (upper case) as a country.
func supportedRegion(iso string) bool { return phonenumbers.GetSupportedRegions()[iso] }

// sortKey folds the few non-ASCII letters in the names so that "Åland Islands"
// sorts with the A's and "Réunion" before "Romania".
func sortKey(name string) string {
	return strings.ToLower(foldAccents.Replace(name))
}

var foldAccents = strings.NewReplacer(
	"Å", "A", "é", "e", "ç", "c", "ô", "o", "ã", "a", "í", "i", "ü", "u",
)
