package main

import (
	"github.com/refbatch/refbatch/rules"
)

// sandboxOptionsFromTables returns what a sandbox needs from the rules'
// reference tables to judge deal registrations as refbatch's own dealreg
// pre-check does: the Azure IP co-sell catalog (the solutions marked
// eligible) and the newest rate to USD of every currency. `refbatch sandbox`
// and `run --sandbox` pass them as sandbox.Options.AzureIPCoSellSolutions and
// FXToUSD, so that a row the rules let through is not refused by the sandbox,
// and the other way round.
func sandboxOptionsFromTables(t *rules.Tables) (catalog []string, fx map[string]float64) {
	return t.AzureIPCoSellSolutions(), t.FXToUSD()
}
