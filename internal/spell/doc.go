// Package spell finds the "did you mean …?" candidate for a misspelt
// word: the closest of a fixed set by edit distance.
//
//	if best := spell.Closest("befor_deploy", values, 3); best != "" {
//		msg += ", did you mean " + best + "?"
//	}
package spell
