package sandbox

import (
	"fmt"
	"strings"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Directions of a referral, from the partner's point of view.
const (
	DirectionIncoming = "Incoming" // a lead sent to the partner
	DirectionOutgoing = "Outgoing" // the partner's own referral
)

// LeadResponseWindow is how long a partner has to accept or decline a lead
// sent to it before Partner Center archives it as Expired
// (get-a-list-of-referrals.md and manage-leads.md: "currently 14 days").
const LeadResponseWindow = 14 * 24 * time.Hour

// SeedLeads adds n leads sent to the partner (direction Incoming, New and
// Pending, expiring LeadResponseWindow after the sandbox's now, as Partner
// Center archives unanswered leads), with the ids lead-0001…: a
// rehearsal of accepting and declining leads in bulk. Leads already there
// are kept as they are, so seeding again with the same n changes nothing.
// It returns the ids of the leads it added.
func (s *Server) SeedLeads(n int) ([]string, error) {
	var refs []pc.Referral
	var ids []string
	now := s.now().UTC()
	s.locked(func() {
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("lead-%04d", i)
			if s.byID[strings.ToLower(id)] != nil {
				continue
			}
			refs = append(refs, lead(id, i, now))
			ids = append(ids, id)
		}
	})
	if len(refs) == 0 {
		return nil, nil
	}
	return ids, s.Seed(refs...)
}

// leadCustomers name the seeded leads' customers, in turn.
var leadCustomers = []struct{ name, city, country string }{
	{"Contoso Pharmaceuticals", "Boston", "US"},
	{"Woodgrove Bank", "Toronto", "CA"},
	{"Wide World Importers", "Rotterdam", "NL"},
	{"Proseware Inc", "Austin", "US"},
	{"Adatum Corporation", "Munich", "DE"},
}

func lead(id string, i int, now time.Time) pc.Referral {
	c := leadCustomers[(i-1)%len(leadCustomers)]
	value := pc.NewAmount(float64(20000 + 5000*i))
	expires := now.Add(LeadResponseWindow)
	return pc.Referral{
		ID:                 id,
		Name:               fmt.Sprintf("%s: cloud migration enquiry", c.name),
		Direction:          DirectionIncoming,
		Type:               pc.TypeShared,
		Qualification:      pc.QualificationSalesQualified,
		Status:             pc.StatusNew,
		Substatus:          pc.SubstatusPending,
		ExpirationDateTime: &expires,
		CustomerProfile: &pc.CustomerProfile{
			Name:    c.name,
			Address: &pc.Address{City: c.city, Country: c.country},
			Team:    []pc.Member{{FirstName: "Sam", LastName: fmt.Sprintf("Lead%d", i), Email: fmt.Sprintf("sam.lead%d@example.com", i)}},
		},
		Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
		Details: &pc.ReferralDetails{DealValue: value, Currency: "USD", Notes: "Sent by Microsoft: the customer asked for a partner."},
	}
}
