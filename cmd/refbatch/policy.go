package main

import (
	"maps"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/rules"
)

// vocabulary merges the fixed API enums with the policy's tables, for the
// template's drop-downs.
func vocabulary(policy *rules.Policy) map[refbatch.Column][]string {
	out := make(map[refbatch.Column][]string)
	for _, c := range refbatch.Columns() {
		if v := refbatch.FixedVocabulary(c); v != nil {
			out[c] = v
		}
	}
	maps.Copy(out, policy.Tables().Vocabulary())
	return out
}

// areaPlays hands the policy's Solution Area → Play table to the template.
func areaPlays(policy *rules.Policy) []exporter.AreaPlays {
	var out []exporter.AreaPlays
	for _, ap := range policy.Tables().Plays() {
		out = append(out, exporter.AreaPlays{Area: ap.Area, Plays: ap.Plays})
	}
	return out
}
