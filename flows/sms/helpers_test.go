package sms

import "github.com/nyaruka/phonenumbers"

// exampleMobile is the metadata's example mobile number for a region, in national
// and in international format, or "", "" if it has none.
func exampleMobile(iso string) (national, international string) {
	n := phonenumbers.GetExampleNumberForType(iso, phonenumbers.MOBILE)
	if n == nil {
		return "", ""
	}
	return phonenumbers.Format(n, phonenumbers.NATIONAL), phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
