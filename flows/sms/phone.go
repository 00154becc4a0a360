package sms

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidNumber is wrapped by every error Normalize returns. The concrete error
// is a *NumberError whose Key is the catalogue message to show the user.
var ErrInvalidNumber = errors.New("sms: invalid phone number")

// NumberError says why Normalize refused a number. Key is a message of the
// catalogues (package i18n), Args its name/value pairs; neither repeats the input.
type NumberError struct {
	Key  string
	Args []any
}

func (e *NumberError) Error() string { return "sms: invalid phone number: " + e.Key }

// Unwrap makes errors.Is(err, ErrInvalidNumber) true.
func (e *NumberError) Unwrap() error { return ErrInvalidNumber }

func invalid(key string, args ...any) error { return &NumberError{Key: key, Args: args} }

const (
	// MaxInputLen is the longest national-number input Normalize looks at, in
	// characters (spaces and punctuation included). E.164 numbers have at most 15
	// digits; 32 leaves room for a trunk or international prefix and formatting.
	MaxInputLen = 32
	// maxInputDigits: 15 E.164 digits plus an international prefix ("011" from the
	// US, "00" elsewhere) or a trunk prefix.
	maxInputDigits = 18
)

// Normalize turns a country (ISO 3166-1 alpha-2 code, as chosen in the
// country-prefix selector) and the number the user typed into an E.164 string such
// as "+4915123456789".
//
// The input may hold ASCII or other decimal digits, spaces and the separators
// "-", ".", "/", "(" and ")", and may start with "+" (or the country's
// international prefix, such as "00") followed by the country code; that code must
// then be the selected country's (countries sharing a code, such as the US and
// Canada under +1, are interchangeable). A trunk prefix ("0" in Germany) is dropped.
//
// Refused, with an error wrapping ErrInvalidNumber: an unknown country, empty
// input, letters (vanity numbers like 1-800-FLOWERS are not accepted), other
// characters, input longer than MaxInputLen characters, numbers that are too short
// or too long for the country or not valid there, and numbers the phone-number
// metadata can tell cannot receive SMS: only MOBILE and FIXED_LINE_OR_MOBILE
// (countries such as the US, where the two cannot be told apart) are accepted, so
// landlines, toll-free, premium-rate, shared-cost, VoIP, personal, pager, UAN and
// voicemail numbers are refused.
func Normalize(countryISO, national string) (string, error) {
	region := strings.ToUpper(strings.TrimSpace(countryISO))
	cc := 0
	if len(region) == 2 && supportedRegion(region) {
		cc = phonenumbers.GetCountryCodeForRegion(region)
	}
	if cc == 0 {
		return "", invalid("phone.err_country")
	}

	in := strings.TrimSpace(national)
	if in == "" {
		return "", invalid("phone.err_empty")
	}
	if utf8.RuneCountInString(in) > MaxInputLen || !utf8.ValidString(in) {
		return "", invalid("phone.err_too_long")
	}
	digits := 0
	for i, r := range in {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '+' && i == 0:
		case r == ' ', r == '-', r == '.', r == '/', r == '(', r == ')', r == '\u00a0':
		case unicode.IsLetter(r):
			return "", invalid("phone.err_letters")
		default:
			return "", invalid("phone.err_chars")
		}
	}
	if digits == 0 {
		return "", invalid("phone.err_empty")
	}
	if digits > maxInputDigits {
		return "", invalid("phone.err_too_long")
	}

	num, err := phonenumbers.Parse(in, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return "", invalid("phone.err_country_code")
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return "", invalid("phone.err_too_short")
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return "", invalid("phone.err_too_long")
		default:
			return "", invalid("phone.err_not_number")
		}
	}
	if got := int(num.GetCountryCode()); got != cc {
		return "", invalid("phone.err_other_country", "Got", "+"+strconv.Itoa(got), "Want", "+"+strconv.Itoa(cc))
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return "", invalid("phone.err_short_for_country")
	case phonenumbers.TOO_LONG:
		return "", invalid("phone.err_long_for_country")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", invalid("phone.err_country_code")
	default: // INVALID_LENGTH, IS_POSSIBLE_LOCAL_ONLY
		return "", invalid("phone.err_digits")
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid("phone.err_invalid")
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	case phonenumbers.FIXED_LINE:
		return "", invalid("phone.err_landline")
	case phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", invalid("phone.err_service")
	default: // VOIP, PERSONAL_NUMBER, PAGER, UAN, VOICEMAIL, UNKNOWN
		return "", invalid("phone.err_not_mobile")
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) {
		return "", invalid("phone.err_invalid")
	}
	return e164, nil
}

// isE164 reports whether s has the shape of an E.164 number: "+", a non-zero
// digit, and 7 to 15 digits in all.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Mask hides all but the country code and the last two digits of an E.164 number,
// for pages ("we sent a code to +49 ••• ••• 89") and logs. The shape is the same
// for every length, so the mask does not reveal how long the number is. Input that
// is not E.164 is masked to its last two digits, or entirely.
func Mask(e164 string) string {
	const dots = "••• •••"
	s := strings.TrimSpace(e164)
	if isE164(s) {
		if num, err := phonenumbers.Parse(s, "ZZ"); err == nil && num.GetCountryCode() != 0 {
			cc := strconv.Itoa(int(num.GetCountryCode()))
			if len(s)-1-len(cc) >= 4 {
				return "+" + cc + " " + dots + " " + s[len(s)-2:]
			}
		}
	}
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) >= 6 {
		return dots + " " + string(d[len(d)-2:])
	}
	return "•••"
}
