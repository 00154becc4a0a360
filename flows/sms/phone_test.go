package sms

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, country, in string
		want              string // "" means an error is expected
		reason            string // suffix of NumberError.Key when an error is expected
	}{
		// Germany
		{"DE mobile", "DE", "0151 23456789", "+4915123456789", ""},
		{"DE mobile lower-case country", "de", "015123456789", "+4915123456789", ""},
		{"DE leading plus", "DE", "+49 151 23456789", "+4915123456789", ""},
		{"DE international prefix 00", "DE", "0049 151 23456789", "+4915123456789", ""},
		{"DE plus with (0)", "DE", "+49 (0)151 23456789", "+4915123456789", ""},
		{"DE slashes and dashes", "DE", "0151/234-567-89", "+4915123456789", ""},
		{"DE outer spaces", "DE", "  0151 23456789\t", "+4915123456789", ""},
		{"DE landline", "DE", "030 12345678", "", "err_landline"},
		{"DE toll free", "DE", "0800 1234567", "", "err_service"},
		{"DE too short", "DE", "0151 2345", "", ""},
		{"DE invalid long", "DE", "0151 23456789012", "", ""},
		{"DE letters", "DE", "0151 2345678a", "", "err_letters"},
		{"DE other country code", "DE", "+33 6 12 34 56 78", "", "err_other_country"},
		// United States (mobile and fixed line cannot be told apart)
		{"US parens", "US", "(201) 555-0123", "+12015550123", ""},
		{"US dots", "US", "201.555.0123", "+12015550123", ""},
		{"US leading 1", "US", "1 201 555 0123", "+12015550123", ""},
		{"US leading plus", "US", "+1 201 555 0123", "+12015550123", ""},
		{"US selected, Canadian number", "US", "+1 604 555 0123", "+16045550123", ""},
		{"US toll free", "US", "800 555 0123", "", "err_service"},
		{"US vanity letters", "US", "1-800-FLOWERS", "", "err_letters"},
		{"US seven digits", "US", "555-0123", "", ""},
		{"US impossible area code", "US", "(123) 456-7890", "", "err_invalid"},
		// United Kingdom
		{"GB mobile", "GB", "07400 123456", "+447400123456", ""},
		{"GB leading plus", "GB", "+44 7400 123456", "+447400123456", ""},
		{"GB landline", "GB", "020 7946 0018", "", "err_landline"},
		{"GB UAN 0300", "GB", "0300 123 4567", "", "err_not_mobile"},
		// France
		{"FR mobile", "FR", "06 12 34 56 78", "+33612345678", ""},
		{"FR leading plus", "FR", "+33 6 12 34 56 78", "+33612345678", ""},
		{"FR landline", "FR", "01 23 45 67 89", "", "err_landline"},
		{"FR VoIP 09", "FR", "09 12 34 56 78", "", "err_not_mobile"},
		{"FR unassigned 07 range", "FR", "07 12 34 56 78", "", "err_invalid"},
		// India
		{"IN mobile", "IN", "98765 43210", "+919876543210", ""},
		{"IN mobile trunk 0", "IN", "098765 43210", "+919876543210", ""},
		{"IN leading plus", "IN", "+91 98765 43210", "+919876543210", ""},
		{"IN landline", "IN", "011 2345 6789", "", "err_landline"},
		// Brazil
		{"BR mobile", "BR", "(11) 91234-5678", "+5511912345678", ""},
		{"BR leading plus", "BR", "+55 11 91234 5678", "+5511912345678", ""},
		{"BR landline", "BR", "(11) 3123-4567", "", "err_landline"},
		{"BR old 8-digit mobile", "BR", "11 1234 5678", "", ""},
		// Input shape
		{"empty", "DE", "", "", "err_empty"},
		{"blank", "DE", "   ", "", "err_empty"},
		{"only punctuation", "DE", "+ - ()", "", "err_empty"},
		{"too long input", "DE", "0151 2345 6789 0123 4567 8901 2345", "", "err_too_long"},
		{"too many digits", "DE", "01512345678901234567", "", "err_too_long"},
		{"plus not first", "DE", "0151+23456789", "", "err_chars"},
		{"hash", "DE", "0151 23456789#", "", "err_chars"},
		{"extension", "DE", "0151 23456789 ext 1", "", "err_letters"},
		{"non-latin letters", "DE", "0151 2345678я", "", "err_letters"},
		{"control char", "DE", "0151\x0023456789", "", "err_chars"},
		{"unknown country", "ZZ", "0151 23456789", "", "err_country"},
		{"empty country", "", "0151 23456789", "", "err_country"},
		{"non-ISO country", "DEU", "0151 23456789", "", "err_country"},
		{"non-existent country code", "DE", "+999 12345678", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.country, tc.in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Normalize(%q, %q) = %q, %v; want %q", tc.country, tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Normalize(%q, %q) = %q; want an error", tc.country, tc.in, got)
			}
			if got != "" {
				t.Errorf("got %q with the error; want empty", got)
			}
			if !errors.Is(err, ErrInvalidNumber) {
				t.Errorf("error %v does not wrap ErrInvalidNumber", err)
			}
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not a *NumberError", err)
			}
			if !strings.HasPrefix(ne.Key, "phone.err_") || !strings.HasSuffix(ne.Key, tc.reason) {
				t.Errorf("key %q is not phone.err_…%s", ne.Key, tc.reason)
			}
			if len(tc.in) > 6 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
				t.Errorf("error %q repeats the input", err)
			}
		})
	}
}

// Every country in the selector accepts the metadata's example mobile number,
// typed in national and in international form, which guards the country table
// against drift from the metadata.
func TestNormalizeExampleMobiles(t *testing.T) {
	// The library formats Argentina's example mobile nationally as
	// "09 15-2345-6789", which it does not parse back (people write
	// "011 15-2345-6789", which works: see TestNormalizeArgentina).
	nationalQuirk := map[string]bool{"AR": true}
	for _, c := range Countries() {
		national, international := exampleMobile(c.ISO)
		if national == "" {
			continue // no mobile example in the metadata
		}
		for _, in := range []string{national, international} {
			if in == national && nationalQuirk[c.ISO] {
				continue
			}
			e164, err := Normalize(c.ISO, in)
			if err != nil {
				t.Errorf("%s (%s): example mobile %q refused: %v", c.ISO, c.Name, in, err)
				continue
			}
			if !strings.HasPrefix(e164, c.Prefix) {
				t.Errorf("%s: %s does not start with %s", c.ISO, e164, c.Prefix)
			}
		}
	}
}

func TestNormalizeArgentina(t *testing.T) {
	for _, in := range []string{"011 15-2345-6789", "9 11 2345 6789", "+54 9 11 2345-6789"} {
		if got, err := Normalize("AR", in); err != nil || got != "+5491123456789" {
			t.Errorf("Normalize(AR, %q) = %q, %v; want +5491123456789", in, got, err)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+4915123456789", "+49 ••• ••• 89"},
		{"+12015550123", "+1 ••• ••• 23"},
		{"+447400123456", "+44 ••• ••• 56"},
		{"+33612345678", "+33 ••• ••• 78"},
		{"+919876543210", "+91 ••• ••• 10"},
		{"+5511912345678", "+55 ••• ••• 78"},
		{"+3761234567", "+376 ••• ••• 67"},
		{"4915123456789", "••• ••• 89"},        // no plus: not E.164
		{"0151 23456789", "••• ••• 89"},        // national form
		{"+49 151 23456789", "••• ••• 89"},     // formatted
		{"+4912", "•••"},                       // too short to show digits
		{"", "•••"},                            // nothing
		{"secret text", "•••"},                 // no digits
		{"+999123456789", "••• ••• 89"},        // unassigned country code
		{"+4915123456789012345", "••• ••• 45"}, // too long for E.164
	}
	for _, tc := range tests {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	// The mask has the same shape whatever the length.
	if a, b := Mask("+4915123456789"), Mask("+49301234567"); len(a) != len(b) {
		t.Errorf("masks of different lengths: %q, %q", a, b)
	}
}

func TestCountries(t *testing.T) {
	cs := Countries()
	if len(cs) < 240 {
		t.Fatalf("Countries() has %d entries; want about 245", len(cs))
	}
	seen := map[string]bool{}
	byISO := map[string]Country{}
	for i, c := range cs {
		if seen[c.ISO] {
			t.Errorf("duplicate %s", c.ISO)
		}
		seen[c.ISO] = true
		byISO[c.ISO] = c
		if c.Name == "" || c.Name == c.ISO {
			t.Errorf("%s has no name in countryNames", c.ISO)
		}
		if !strings.HasPrefix(c.Prefix, "+") || len(c.Prefix) < 2 {
			t.Errorf("%s: bad prefix %q", c.ISO, c.Prefix)
		}
		if i > 0 && sortKey(cs[i-1].Name) > sortKey(c.Name) {
			t.Errorf("not sorted by name: %q before %q", cs[i-1].Name, c.Name)
		}
	}
	for iso, want := range map[string]Country{
		"DE": {"DE", "Germany", "+49"},
		"US": {"US", "United States", "+1"},
		"CA": {"CA", "Canada", "+1"},
		"GB": {"GB", "United Kingdom", "+44"},
		"FR": {"FR", "France", "+33"},
		"IN": {"IN", "India", "+91"},
		"BR": {"BR", "Brazil", "+55"},
		"AX": {"AX", "Åland Islands", "+358"},
	} {
		if got := byISO[iso]; got != want {
			t.Errorf("%s: got %+v; want %+v", iso, got, want)
		}
	}
	if cs[0].Name != "Afghanistan" {
		t.Errorf("first is %q; want Afghanistan", cs[0].Name)
	}
	if cs[1].ISO != "AX" {
		t.Errorf("second is %q; want Åland Islands sorted with the A's", cs[1].Name)
	}
	// A fresh copy each time.
	cs[0].Name = "changed"
	if Countries()[0].Name == "changed" {
		t.Error("Countries() returned shared storage")
	}
}
