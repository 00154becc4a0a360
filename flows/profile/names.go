package profile

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLen is the most characters (after trimming) a given or family name may have.
const MaxNameLen = 100

// Why a name is refused; CheckName wraps one of them.
var (
	ErrNameEmpty    = errors.New("profile: name is empty")
	ErrNameTooLong  = errors.New("profile: name is too long")
	ErrNameChars    = errors.New("profile: name has a character that is not a letter, space, hyphen or apostrophe")
	ErrNameStart    = errors.New("profile: name does not start with a letter")
	ErrNameTooShort = errors.New("profile: name has too few letters")
)

// Name rules (ACC-6): the given name needs at least GivenMinLetters letters, the
// family name FamilyMinLetters.
const (
	GivenMinLetters  = 2
	FamilyMinLetters = 1
)

// CheckName returns name as it is stored — NFC-normalised (so a decomposed "Zoë"
// is the same name as a composed one), trimmed, with each run of spaces made one
// space — or the rule it breaks. A name is letters of any script with their
// combining marks, spaces, hyphens and apostrophes (' and ’) (see separators),
// starts with a letter, has at most MaxNameLen characters and at least minLetters letters.
//
// A letter is one character, whatever its script: "李" is one letter. Where one
// character is a whole syllable or word (Han, Hangul syllables, kana, Yi), it is
// not an initial, and one such letter meets any minimum: "李" is a valid given
// name as well as a valid family name. The minimum is there to refuse initials
// ("J"), and many people write their given name with a single Han character.
func CheckName(name string, minLetters int) (string, error) {
	name = strings.Join(strings.Fields(norm.NFC.String(name)), " ")
	if name == "" {
		return "", ErrNameEmpty
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return "", fmt.Errorf("%w: more than %d characters", ErrNameTooLong, MaxNameLen)
	}
	letters, syllabic := 0, false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
			syllabic = syllabic || wholeSyllable(r)
		case unicode.Is(unicode.M, r), strings.ContainsRune(separators, r):
		default:
			return "", fmt.Errorf("%w: %q", ErrNameChars, r)
		}
	}
	if first, _ := utf8.DecodeRuneInString(name); !unicode.IsLetter(first) {
		return "", ErrNameStart
	}
	if letters < minLetters && !syllabic {
		return "", fmt.Errorf("%w: %d of %d", ErrNameTooShort, letters, minLetters)
	}
	return name, nil
}

// separators are what a name may have between its letters: a space, hyphens
// (- and ‐), apostrophes (' and the typographic ’), and the zero-width
// (non-)joiners some scripts (Persian, Malayalam, Sinhala) write inside names.
const separators = " -\u2010'’\u200c\u200d"

// wholeSyllable reports whether r is a character that is a syllable or a word
// by itself, never an initial.
func wholeSyllable(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Yi) ||
		(r >= 0xAC00 && r <= 0xD7A3) // Hangul syllables (not the separate jamo)
}
