package profile

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	const (
		zoeComposed   = "Zo\u00eb"  // ë as one character
		zoeDecomposed = "Zoe\u0308" // e followed by a combining diaeresis
	)
	for _, tt := range []struct {
		name, in string
		min      int
		want     string
		err      error
	}{
		{"two letters", "Jo", GivenMinLetters, "Jo", nil},
		{"an initial as given name", "J", GivenMinLetters, "", ErrNameTooShort},
		{"one letter as family name", "J", FamilyMinLetters, "J", nil},
		{"hyphen", "Ann-Marie", GivenMinLetters, "Ann-Marie", nil},
		{"apostrophe", "O'Neil", FamilyMinLetters, "O'Neil", nil},
		{"typographic apostrophe", "O’Neil", FamilyMinLetters, "O’Neil", nil},
		{"composed Zoë", zoeComposed, GivenMinLetters, zoeComposed, nil},
		{"decomposed Zoë is stored composed", zoeDecomposed, GivenMinLetters, zoeComposed, nil},
		{"Han family name", "李", FamilyMinLetters, "李", nil},
		{"Han given name: one character is a whole syllable", "李", GivenMinLetters, "李", nil},
		{"Hangul syllable", "민", GivenMinLetters, "민", nil},
		{"Cyrillic", "Мария", GivenMinLetters, "Мария", nil},
		{"Arabic", "محمد", GivenMinLetters, "محمد", nil},
		{"Persian with a zero-width non-joiner", "محمد\u200cرضا", GivenMinLetters, "محمد\u200cرضا", nil},
		{"Devanagari with vowel signs", "प्रिया", GivenMinLetters, "प्रिया", nil},
		{"two words", "Mary Ann", GivenMinLetters, "Mary Ann", nil},
		{"trimmed, inner spaces made one", "  Mary \t  Ann  ", GivenMinLetters, "Mary Ann", nil},
		{"two letters with a hyphen", "J-P", GivenMinLetters, "J-P", nil},
		{"one letter and a hyphen", "J-", GivenMinLetters, "", ErrNameTooShort},
		{"digits", "Jo3", GivenMinLetters, "", ErrNameChars},
		{"only digits", "123", FamilyMinLetters, "", ErrNameChars},
		{"punctuation", "Jo!", GivenMinLetters, "", ErrNameChars},
		{"markup", "<b>Jo</b>", GivenMinLetters, "", ErrNameChars},
		{"emoji", "Jo🙂", GivenMinLetters, "", ErrNameChars},
		{"control character", "Jo\x00", GivenMinLetters, "", ErrNameChars},
		{"starts with a hyphen", "-Jo", GivenMinLetters, "", ErrNameStart},
		{"starts with an apostrophe", "'Jo", GivenMinLetters, "", ErrNameStart},
		{"starts with a combining mark", "\u0308Jo", GivenMinLetters, "", ErrNameStart},
		{"empty", "", GivenMinLetters, "", ErrNameEmpty},
		{"only spaces", "   ", FamilyMinLetters, "", ErrNameEmpty},
		{"100 characters", strings.Repeat("a", 100), GivenMinLetters, strings.Repeat("a", 100), nil},
		{"101 characters", strings.Repeat("a", 101), GivenMinLetters, "", ErrNameTooLong},
		{"300 characters", strings.Repeat("ab", 150), FamilyMinLetters, "", ErrNameTooLong},
		{"100 characters after trimming", "  " + strings.Repeat("é", 100) + "  ", GivenMinLetters, strings.Repeat("é", 100), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckName(tt.in, tt.min)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("CheckName(%q, %d) error %v, want %v", tt.in, tt.min, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("CheckName(%q, %d) = %q, want %q", tt.in, tt.min, got, tt.want)
			}
		})
	}
}
