// Package english spells counts in messages: "1 file", "3 files".
//
//	fmt.Printf("%s checked\n", english.Plural(n, "file"))
package english

import "strconv"

// Plural returns n and word, with an "s" unless n is 1: "1 migration",
// "0 migrations", "3 migrations". Words with irregular plurals don't
// belong here.
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
