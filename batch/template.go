package batch

import (
	"maps"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/rules"
)

// TemplateOptions are the drop-downs of a template or a pulled workbook
// under policy: the fixed API enums merged with the policy's tables, and
// its Solution Area → Play table.
func TemplateOptions(policy *rules.Policy) exporter.TemplateOptions {
	vocab := make(map[refbatch.Column][]string)
	for _, c := range refbatch.Columns() {
		if v := refbatch.FixedVocabulary(c); v != nil {
			vocab[c] = v
		}
	}
	maps.Copy(vocab, policy.Tables().Vocabulary())
	var plays []exporter.AreaPlays
	for _, ap := range policy.Tables().Plays() {
		plays = append(plays, exporter.AreaPlays{Area: ap.Area, Plays: ap.Plays})
	}
	return exporter.TemplateOptions{Vocabulary: vocab, Plays: plays}
}
