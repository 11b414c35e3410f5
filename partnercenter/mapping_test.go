package partnercenter_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/mapping")

// cells is a row as a test writes it: each value goes into the column's
// typed field (string, float64, bool, time.Time or []string) and marks
// the column filled, as the importer would.
type cells map[refbatch.Column]any

// makeRow builds an imported row from cs, with a header naming exactly its
// columns, and resolves its defaults as the importer does.
func makeRow(t *testing.T, number int, cs cells) *refbatch.Row {
	t.Helper()
	cols := make([]refbatch.Column, 0, len(cs))
	for c := range cs {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.String()
	}
	h := refbatch.NewHeader("test.xlsx", "Sheet1", 1, names)
	row := &refbatch.Row{Header: h, Number: number, Raw: make([]string, len(cols))}
	for i, c := range cols {
		h.Index[c], h.Columns[i] = i, c
		var raw string
		switch v := cs[c].(type) {
		case string:
			p := row.TextField(c)
			if p == nil {
				t.Fatalf("%s is not a text column", c)
			}
			*p, raw = v, v
		case float64:
			p := row.NumberField(c)
			if p == nil {
				t.Fatalf("%s is not a number column", c)
			}
			*p, raw = v, strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			p := row.BoolField(c)
			if p == nil {
				t.Fatalf("%s is not a bool column", c)
			}
			*p, raw = v, map[bool]string{true: "yes", false: "no"}[v]
		case time.Time:
			p := row.DateField(c)
			if p == nil {
				t.Fatalf("%s is not a date column", c)
			}
			*p, raw = v, v.Format("2006-01-02")
		case []refbatch.SolutionLine:
			if c != refbatch.ColSolutions {
				t.Fatalf("%s is not the Solution n column", c)
			}
			// As the importer reads "Solution n" cells: each ID joins the
			// Solution IDs too.
			row.SolutionLines = v
			parts := make([]string, len(v))
			for j, s := range v {
				parts[j] = s.ID
				if !slices.Contains(row.SolutionIDs, s.ID) {
					row.SolutionIDs = append(row.SolutionIDs, s.ID)
				}
			}
			row.Filled = row.Filled.With(refbatch.ColSolutionIDs)
			raw = strings.Join(parts, ";")
		case []refbatch.Member:
			if c != refbatch.ColTeamMembers {
				t.Fatalf("%s is not the Team member n column", c)
			}
			row.TeamMembers = v
			raw = strconv.Itoa(len(v)) + " members"
		case []string:
			p := row.ListField(c)
			if p == nil {
				t.Fatalf("%s is not a list column", c)
			}
			*p, raw = v, strings.Join(v, ";")
		default:
			t.Fatalf("%s: unsupported value %T", c, v)
		}
		row.Raw[i] = raw
		row.Filled = row.Filled.With(c)
	}
	row.Resolve()
	return row
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// with returns a copy of base with more cells.
func with(base cells, more cells) cells {
	out := cells{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

var privateCells = cells{
	refbatch.ColExternalReferenceID:       "CRM-1001",
	refbatch.ColName:                      "Contoso supply chain pilot",
	refbatch.ColDealType:                  "Private",
	refbatch.ColQualification:             "SalesQualified",
	refbatch.ColStatus:                    "New",
	refbatch.ColSubstatus:                 "Pending",
	refbatch.ColStatusReason:              "First meeting held",
	refbatch.ColCustomerName:              "Contoso Customer Inc",
	refbatch.ColAddressLine1:              "One Microsoft Way",
	refbatch.ColAddressLine2:              "Building 34",
	refbatch.ColCity:                      "Redmond",
	refbatch.ColState:                     "WA",
	refbatch.ColPostalCode:                "98052",
	refbatch.ColCountry:                   "US",
	refbatch.ColCustomerSize:              "10to50employees",
	refbatch.ColContactFirstName:          "Sue",
	refbatch.ColContactLastName:           "Smith",
	refbatch.ColContactEmail:              "sue.smith@contoso.com",
	refbatch.ColContactPhone:              "4255550100",
	refbatch.ColDealValue:                 50000.0,
	refbatch.ColCurrency:                  "USD",
	refbatch.ColClosingDate:               date(2026, 11, 30),
	refbatch.ColNotes:                     "Customer wants Dynamics 365 for its supply chain.",
	refbatch.ColIndustries:                []string{"Manufacturing"},
	refbatch.ColProducts:                  []string{"Dynamics365Enterprise"},
	refbatch.ColServices:                  []string{"DeploymentOrMigration"},
	refbatch.ColSolutionIDs:               []string{"SOL-8163-XCJ"},
	refbatch.ColShareWithMicrosoftSellers: false,
	refbatch.ColConsentToShareInfo:        true,
	refbatch.ColConsentToContact:          true,
	refbatch.ColTeamMemberFirstName:       "John",
	refbatch.ColTeamMemberLastName:        "Doe",
	refbatch.ColTeamMemberEmail:           "john.doe@fabrikam.com",
	refbatch.ColTeamMemberPhone:           "4255550111",
}

// partnerLedCells has no contact and leaves Share With Microsoft Sellers
// to Resolve; it is a Services co-sell referral.
var partnerLedCells = cells{
	refbatch.ColExternalReferenceID: "CRM-1002",
	refbatch.ColName:                "Fabrikam SAP migration",
	refbatch.ColDealType:            "Partner-led",
	refbatch.ColCustomerName:        "Fabrikam Ltd",
	refbatch.ColCountry:             "GB",
	refbatch.ColDealValue:           80000.0,
	refbatch.ColCurrency:            "GBP",
	refbatch.ColClosingDate:         date(2027, 1, 15),
	refbatch.ColConsentToShareInfo:  true,
	refbatch.ColConsentToContact:    false,
	refbatch.ColServicesCosell:      true,
	refbatch.ColPartnerRole:         "Solution design",
	refbatch.ColSolutionArea:        "Infrastructure",
	refbatch.ColSolutionPlay:        "Migrate SAP",
}

// cosellCells leaves Deal Type to Resolve (Help Needed yes → Co-sell) and
// passes the five eligibility policies once Microsoft accepts.
var cosellCells = cells{
	refbatch.ColExternalReferenceID:        "CRM-1003",
	refbatch.ColName:                       "Northwind Azure platform",
	refbatch.ColHelpNeeded:                 true,
	refbatch.ColQualification:              "SalesQualified",
	refbatch.ColCustomerName:               "Northwind Traders",
	refbatch.ColCity:                       "Seattle",
	refbatch.ColCountry:                    "US",
	refbatch.ColContactFirstName:           "Nancy",
	refbatch.ColContactLastName:            "Davolio",
	refbatch.ColContactEmail:               "nancy@northwind.example",
	refbatch.ColDealValue:                  120000.0,
	refbatch.ColCurrency:                   "USD",
	refbatch.ColClosingDate:                date(2026, 12, 31),
	refbatch.ColNotes:                      "Platform rebuild on Azure.",
	refbatch.ColSolutionIDs:                []string{"SOL-AZIP-0001"},
	refbatch.ColConsentToShareInfo:         true,
	refbatch.ColConsentToContact:           true,
	refbatch.ColAssistanceRequestCode:      "ProofOfConceptOrDemo",
	refbatch.ColInviteNotes:                "Proof of concept requested by the customer.",
	refbatch.ColCustomerManaged:            true,
	refbatch.ColRegisterDeal:               true,
	refbatch.ColContractValue:              250000.0,
	refbatch.ColContractCurrency:           "USD",
	refbatch.ColContractTerm:               "Finite",
	refbatch.ColContractSignDate:           date(2026, 2, 12),
	refbatch.ColContractStartDate:          date(2026, 2, 12),
	refbatch.ColContractEndDate:            date(2027, 2, 28),
	refbatch.ColPricingModel:               "Other",
	refbatch.ColPrimaryDeploymentOn:        "Partner",
	refbatch.ColDeployedOnAzure:            true,
	refbatch.ColMarketplaceTransacted:      true,
	refbatch.ColMarketplaceTransactionDate: date(2026, 2, 11),
}

// clock is an injectable clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mappingEnv is a sandbox over HTTP, an adapter to it and a Mapper.
type mappingEnv struct {
	api   *partnercenter.Referrals
	m     *partnercenter.Mapper
	clock *clock
}

const acceptAfter = time.Hour

func newMappingEnv(t *testing.T) *mappingEnv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} // within 60 days of the rows' contract sign date (register-deals.md)
	_, srv := newSandbox(t, sandbox.Options{Token: testToken, AcceptAfter: acceptAfter, Now: clk.Now})
	return &mappingEnv{api: partnercenter.NewReferrals(newTestClient(t, srv.URL)), m: partnercenter.NewMapper(), clock: clk}
}

// golden compares body, indented, with testdata/mapping/<name>; -update
// rewrites it. replace substitutes run-specific values (ids) first.
func golden(t *testing.T, name string, body []byte, replace ...string) {
	t.Helper()
	for i := 0; i+1 < len(replace); i += 2 {
		body = bytes.ReplaceAll(body, []byte(replace[i]), []byte(replace[i+1]))
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "mapping", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n got: %s\nwant: %s", name, buf.Bytes(), want)
	}
}

// create sends the Mapper's create body of cs and returns the answer.
func (e *mappingEnv) create(t *testing.T, cs cells) (*refbatch.Row, refbatch.Remote) {
	t.Helper()
	row := makeRow(t, 2, cs)
	req, err := e.m.Create(row)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	rem, err := e.api.Create(t.Context(), partnercenter.NewClientRequestID(), req.Body)
	if err != nil {
		t.Fatalf("the sandbox refused the create body: %v\n%s", err, req.Body)
	}
	return row, rem
}

func (e *mappingEnv) get(t *testing.T, id string) refbatch.Remote {
	t.Helper()
	rem, err := e.api.Get(t.Context(), partnercenter.NewClientRequestID(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rem
}

// patch sends req with If-Match and returns the answer.
func (e *mappingEnv) patch(t *testing.T, req refbatch.Request, live refbatch.Remote) refbatch.Remote {
	t.Helper()
	if req.Method != http.MethodPatch || req.Path != "/v1.0/engagements/referrals/"+live.ID {
		t.Fatalf("request %s %s, want PATCH of referral %s", req.Method, req.Path, live.ID)
	}
	rem, err := e.api.Patch(t.Context(), partnercenter.NewClientRequestID(), live.ID, live.ETag, req.Body)
	if err != nil {
		t.Fatalf("the sandbox refused the %s body: %v\n%s", req.Step, err, req.Body)
	}
	return rem
}

func decodeReferral(t *testing.T, raw json.RawMessage) partnercenter.Referral {
	t.Helper()
	var r partnercenter.Referral
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMapperCreate checks the create bodies of the three deal types
// against their golden files and has the sandbox accept each.
func TestMapperCreate(t *testing.T) {
	e := newMappingEnv(t)
	tests := []struct {
		name      string
		cells     cells
		typ       partnercenter.ReferralType
		share     bool
		wantsLink bool
	}{
		{"create-private", privateCells, partnercenter.TypeIndependent, false, false},
		{"create-partnerled", partnerLedCells, partnercenter.TypeShared, true, false},
		{"create-cosell", cosellCells, partnercenter.TypeShared, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := makeRow(t, 2, tt.cells)
			req, err := e.m.Create(row)
			if err != nil {
				t.Fatal(err)
			}
			if req.Step != refbatch.StepCreate || req.Method != http.MethodPost || req.Path != "/v1.0/engagements/referrals" {
				t.Errorf("request %s %s %s", req.Step, req.Method, req.Path)
			}
			golden(t, filepath.Join(tt.name, tt.name+".json"), req.Body)
			if got := e.m.WantsLink(row); got != tt.wantsLink {
				t.Errorf("WantsLink = %v, want %v", got, tt.wantsLink)
			}
			again, _ := e.m.Create(row)
			if !bytes.Equal(again.Body, req.Body) {
				t.Error("the body is not deterministic")
			}
			_, rem := e.create(t, tt.cells)
			got := decodeReferral(t, rem.Raw)
			if got.Type != tt.typ || got.Consent.ConsentToShareReferralWithMicrosoftSellers != tt.share {
				t.Errorf("type %s share %v, want %s %v", got.Type, got.Consent.ConsentToShareReferralWithMicrosoftSellers, tt.typ, tt.share)
			}
			if rem.ExternalReferenceID != row.ExternalReferenceID || rem.Created.IsZero() || rem.ETag == "" {
				t.Errorf("remote %+v", rem)
			}
			// What was created shows everything the row says.
			upd := makeRow(t, 3, with(tt.cells, cells{refbatch.ColReferralID: rem.ID}))
			if req, ok, err := e.m.Patch(upd, rem); err != nil || ok {
				t.Errorf("Patch of the row against its own creation = ok %v, err %v: %s", ok, err, req.Body)
			}
		})
	}
	t.Run("no deal type", func(t *testing.T) {
		row := makeRow(t, 7, cells{refbatch.ColName: "x", refbatch.ColCustomerName: "y"})
		if _, err := e.m.Create(row); err == nil || !strings.Contains(err.Error(), "row 7") {
			t.Errorf("err = %v, want an error naming row 7", err)
		}
	})
	t.Run("co-sell update row wants a link", func(t *testing.T) {
		// An upgrade to Co-sell; the engine links only when the
		// referral's engagement has no Microsoft referral yet.
		row := makeRow(t, 2, with(cosellCells, cells{refbatch.ColReferralID: "4111fffc-f9ee-4d53-bba6-569135228642"}))
		if !e.m.WantsLink(row) {
			t.Error("a Co-sell update row wants no link")
		}
		row = makeRow(t, 3, with(privateCells, cells{refbatch.ColReferralID: "4111fffc-f9ee-4d53-bba6-569135228642"}))
		if e.m.WantsLink(row) {
			t.Error("a Private update row wants a link")
		}
	})
}

// TestMapperCosellLinkAndRegister runs a Co-sell row through create, link,
// Microsoft's acceptance and deal registration, with golden bodies, and
// checks a second register is not sent.
func TestMapperCosellLinkAndRegister(t *testing.T) {
	e := newMappingEnv(t)
	ctx := t.Context()
	row, created := e.create(t, cosellCells)

	link, err := e.m.Link(row, created)
	if err != nil {
		t.Fatal(err)
	}
	if link.Step != refbatch.StepLink || link.Method != http.MethodPost || link.Path != "/v1.0/engagements/referrals" {
		t.Errorf("link request %s %s %s", link.Step, link.Method, link.Path)
	}
	golden(t, "link/link.json", link.Body, created.EngagementID, "{engagementId}")
	msft, err := e.api.Create(ctx, partnercenter.NewClientRequestID(), link.Body)
	if err != nil {
		t.Fatalf("the sandbox refused the link body: %v\n%s", err, link.Body)
	}
	if msft.EngagementID != created.EngagementID || msft.OrganizationID != partnercenter.MicrosoftOrganizationID ||
		msft.ExternalReferenceID != row.ExternalReferenceID {
		t.Errorf("Microsoft referral %+v", msft)
	}
	var members []string
	for r, err := range e.api.Engagement(ctx, created.EngagementID) {
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, r.ID)
	}
	slices.Sort(members)
	want := []string{created.ID, msft.ID}
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("engagement lists %v, want %v", members, want)
	}

	el, err := e.api.Eligibility(ctx, partnercenter.NewClientRequestID(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if el.Eligible || len(el.Failed) != 1 || !strings.HasPrefix(el.Failed[0], partnercenter.PolicyMicrosoftReferralAcceptedOrWon) {
		t.Errorf("before acceptance: %+v, want only %s failed", el, partnercenter.PolicyMicrosoftReferralAcceptedOrWon)
	}
	e.clock.Add(acceptAfter + time.Minute)
	el, err = e.api.Eligibility(ctx, partnercenter.NewClientRequestID(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !el.Eligible || len(el.Failed) != 0 {
		t.Fatalf("after acceptance: %+v", el)
	}

	live := e.get(t, created.ID)
	reg, ok, err := e.m.Register(row, live)
	if err != nil || !ok {
		t.Fatalf("Register = ok %v, err %v", ok, err)
	}
	if reg.Step != refbatch.StepRegister {
		t.Errorf("step %s", reg.Step)
	}
	golden(t, "register/register.json", reg.Body)
	after := e.patch(t, reg, live)
	if got := decodeReferral(t, after.Raw); len(got.Registrations) != 1 || got.Registrations[0].ID == "" {
		t.Errorf("registrations after register: %+v", got.Registrations)
	}
	if _, ok, err := e.m.Register(row, e.get(t, created.ID)); ok || err != nil {
		t.Errorf("second Register = ok %v, err %v; want nothing to send", ok, err)
	}
}

// TestMapperPatch applies each update row's patch to a referral the
// Mapper created, and checks that a fresh Get then needs no patch.
func TestMapperPatch(t *testing.T) {
	tests := []struct {
		name   string
		base   cells
		update cells
		paths  []string // the ops' paths, in order
	}{
		{name: "patch-deal", base: privateCells, update: cells{
			refbatch.ColDealValue:    75000.0,
			refbatch.ColCurrency:     "usd", // same currency
			refbatch.ColClosingDate:  date(2026, 12, 15),
			refbatch.ColNotes:        "Budget approved.",
			refbatch.ColStatus:       "Closed",
			refbatch.ColSubstatus:    "Won",
			refbatch.ColStatusReason: "Contract signed",
		}, paths: []string{"/status", "/substatus", "/statusReason", "/details/dealValue", "/details/closingDateTime", "/details/notes"}},
		{name: "patch-customer", base: privateCells, update: cells{
			refbatch.ColCustomerName: "Contoso Holdings",
			refbatch.ColCity:         "Bellevue",
			refbatch.ColPostalCode:   "98004",
			refbatch.ColCountry:      "us", // same country
			refbatch.ColCustomerSize: "51to250employees",
			refbatch.ColContactEmail: "SUE.SMITH@contoso.com", // same address
			refbatch.ColContactPhone: "4255550199",
			// Read-only after creation (bulk-operations.md): never sent.
			refbatch.ColDUNSID:    "081466849",
			refbatch.ColPartnerID: "7654321",
		}, paths: []string{"/customerProfile/size", "/customerProfile/team/0/phoneNumber"}},
		{name: "patch-contact-add", base: partnerLedCells, update: cells{
			refbatch.ColContactFirstName: "Fiona",
			refbatch.ColContactLastName:  "Gray",
			refbatch.ColContactEmail:     "fiona.gray@fabrikam.example",
			refbatch.ColAddressLine1:     "1 Market Street", // read-only after creation
		}, paths: []string{"/customerProfile/team/-"}},
		{name: "patch-requirements", base: privateCells, update: cells{
			refbatch.ColIndustries:  []string{"Manufacturing", "Retail"},
			refbatch.ColProducts:    []string{"dynamics365enterprise"}, // same set
			refbatch.ColServices:    []string{"Consulting"},
			refbatch.ColSolutionIDs: []string{"SOL-AZIP-0002", "sol-8163-xcj"},
		}, paths: []string{"/details/requirements/industries", "/details/requirements/services", "/details/requirements/solutions"}},
		{name: "patch-team", base: privateCells, update: cells{
			refbatch.ColTeamMemberFirstName: "Jane",
			refbatch.ColTeamMemberLastName:  "Doe",
			refbatch.ColTeamMemberEmail:     "jane.doe@fabrikam.com",
			refbatch.ColTeamMemberPhone:     "0000000001",
		}, paths: []string{"/team/-"}},
		{name: "patch-consent-services", base: privateCells, update: cells{
			refbatch.ColShareWithMicrosoftSellers: true,
			refbatch.ColConsentToContact:          false,
			refbatch.ColConsentToShareInfo:        true, // same
			refbatch.ColPartnerRole:               "Deployment services",
			refbatch.ColSolutionArea:              "Data and AI",
			refbatch.ColSolutionPlay:              "Build and Modernize AI Apps",
			refbatch.ColCustomerManaged:           true,
		}, paths: []string{"/consent/consentToShareReferralWithMicrosoftSellers", "/consent/consentToContact",
			"/partnerRole", "/solutionArea", "/solutionPlay", "/customerProfile/isMatchingComplete"}},
		{name: "patch-active", base: partnerLedCells, update: cells{
			refbatch.ColStatus:        "Active",
			refbatch.ColName:          "Fabrikam SAP migration, phase 1",
			refbatch.ColQualification: "Direct",
		}, paths: []string{"/name", "/qualification", "/status", "/substatus"}},
	}
	e := newMappingEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, created := e.create(t, tt.base)
			row := makeRow(t, 5, with(tt.update, cells{refbatch.ColReferralID: created.ID}))
			live := e.get(t, created.ID)
			req, ok, err := e.m.Patch(row, live)
			if err != nil || !ok {
				t.Fatalf("Patch = ok %v, err %v", ok, err)
			}
			if req.Step != refbatch.StepPatch {
				t.Errorf("step %s", req.Step)
			}
			var ops []partnercenter.PatchOp
			if err := json.Unmarshal(req.Body, &ops); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, op := range ops {
				paths = append(paths, op.Path)
				if op.Op != partnercenter.OpReplace && op.Op != partnercenter.OpAdd {
					t.Errorf("op %s", op.Op)
				}
			}
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("paths %q\nwant  %q", paths, tt.paths)
			}
			golden(t, filepath.Join(tt.name, tt.name+".json"), req.Body)
			again, _, _ := e.m.Patch(row, live)
			if !bytes.Equal(again.Body, req.Body) {
				t.Error("the patch is not deterministic")
			}

			after := e.patch(t, req, live)
			if after.ETag == live.ETag {
				t.Error("the eTag did not change")
			}
			for _, fresh := range []refbatch.Remote{after, e.get(t, created.ID)} {
				if req, ok, err := e.m.Patch(row, fresh); err != nil || ok {
					t.Errorf("Patch after applying = ok %v, err %v: %s", ok, err, req.Body)
				}
			}
		})
	}
}

// TestMapperPatchNothingToSend: values equal once normalised, cells
// Resolve filled and columns with no patchable field send nothing.
func TestMapperPatchNothingToSend(t *testing.T) {
	e := newMappingEnv(t)
	_, created := e.create(t, privateCells)
	live := e.get(t, created.ID)
	pst := time.FixedZone("PST", -8*3600)
	tests := []struct {
		name  string
		cells cells
	}{
		{"only the id", cells{}},
		// Deal Type makes Resolve set Referral Type Shared and Share With
		// Microsoft Sellers yes; neither was written, and type is fixed.
		{"defaults of a deal type", cells{refbatch.ColDealType: "Partner-led"}},
		{"help needed", cells{refbatch.ColHelpNeeded: true, refbatch.ColAssistanceRequestCode: "ProofOfConceptOrDemo", refbatch.ColInviteNotes: "x"}},
		{"normalised equal", cells{
			refbatch.ColStatus:        "NEW",
			refbatch.ColSubstatus:     "pending",
			refbatch.ColQualification: "sales qualified",
			refbatch.ColCurrency:      "usd",
			refbatch.ColCountry:       "us",
			refbatch.ColDealValue:     50000.001,
			refbatch.ColClosingDate:   time.Date(2026, 11, 30, 15, 0, 0, 0, pst),
			refbatch.ColIndustries:    []string{"manufacturing", "Manufacturing"},
			refbatch.ColSolutionIDs:   []string{"sol-8163-xcj"},
			refbatch.ColContactEmail:  "Sue.Smith@Contoso.com",
		}},
		{"team member already there", cells{refbatch.ColTeamMemberEmail: "JOHN.DOE@fabrikam.com", refbatch.ColTeamMemberFirstName: "Johnny"}},
		{"team member by name", cells{refbatch.ColTeamMemberFirstName: "john", refbatch.ColTeamMemberLastName: "doe"}},
		{"registration columns", cells{refbatch.ColRegisterDeal: true, refbatch.ColContractValue: 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := makeRow(t, 9, with(tt.cells, cells{refbatch.ColReferralID: created.ID}))
			if row.Action != refbatch.ActionUpdate {
				t.Fatalf("action %q", row.Action)
			}
			req, ok, err := e.m.Patch(row, live)
			if err != nil || ok {
				t.Errorf("Patch = ok %v, err %v: %s", ok, err, req.Body)
			}
			if ok || req.Body != nil {
				t.Errorf("request %+v, want none", req)
			}
		})
	}
	t.Run("no live state", func(t *testing.T) {
		row := makeRow(t, 9, cells{refbatch.ColReferralID: created.ID, refbatch.ColName: "x"})
		if _, _, err := e.m.Patch(row, refbatch.Remote{ID: created.ID}); err == nil {
			t.Error("Patch without live.Raw succeeded")
		}
	})
}

// TestMapperTeamMemberTwice: a member added by one patch is not added
// again by the same row, whatever the case of the e-mail.
func TestMapperTeamMemberTwice(t *testing.T) {
	e := newMappingEnv(t)
	_, created := e.create(t, partnerLedCells)
	row := makeRow(t, 4, cells{refbatch.ColReferralID: created.ID, refbatch.ColTeamMemberEmail: "jane.doe@contoso.com", refbatch.ColTeamMemberFirstName: "Jane"})
	live := e.get(t, created.ID)
	req, ok, err := e.m.Patch(row, live)
	if err != nil || !ok {
		t.Fatalf("Patch = ok %v, err %v", ok, err)
	}
	e.patch(t, req, live)
	shout := makeRow(t, 4, cells{refbatch.ColReferralID: created.ID, refbatch.ColTeamMemberEmail: "JANE.DOE@CONTOSO.COM"})
	for _, r := range []*refbatch.Row{row, shout} {
		if req, ok, err := e.m.Patch(r, e.get(t, created.ID)); err != nil || ok {
			t.Errorf("second Patch = ok %v, err %v: %s", ok, err, req.Body)
		}
	}
	if got := decodeReferral(t, e.get(t, created.ID).Raw); len(got.Team) != 1 {
		t.Errorf("team %+v, want one member", got.Team)
	}
}
