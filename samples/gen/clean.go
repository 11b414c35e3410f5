package main

import "time"

// cleanHeaders are the columns of the clean sample: aliases a CRM export
// uses, an Action column, and no column refbatch does not know.
var cleanHeaders = []string{
	"Action", "CRM ID", "Partner Center ID", "Opportunity Name", "Account Name", "Deal Type", "Amount", "Currency",
	"Expected Close Date", "Country Code", "City", "Contact First Name", "Contact Last Name",
	"Contact Email", "Contact Phone", "Solution ID", "Assistance Request Code", "Invite Notes",
	"Status", "Sub Status", "Services Co-sell", "Partner Role", "Solution Area", "Solution Play",
	"Register Deal", "Customer Managed", "Microsoft Referral Status", "Contract Value",
	"Contract Currency", "Contract Term", "Contract Sign Date", "Contract Start Date",
	"Contract End Date", "Pricing Model", "Primary Deployment On", "Deployed On Azure",
	"Notes", "Team Member First Name", "Team Member Last Name", "Owner Email",
}

// registrationSigned is a deal registration that passes every dealreg
// policy, with its contract's dates.
func registrationSigned(value float64, currency string, sign, start, end time.Time) row {
	return row{"Register Deal": "yes", "Customer Managed": "yes", "Microsoft Referral Status": "Accepted",
		"Contract Value": value, "Contract Currency": currency, "Contract Term": "Finite",
		"Contract Sign Date": sign, "Contract Start Date": start, "Contract End Date": end,
		"Pricing Model": "Other", "Primary Deployment On": "Partner", "Deployed On Azure": "yes"}
}

func owner(first, last, email string) row {
	return row{"Team Member First Name": first, "Team Member Last Name": last, "Owner Email": email}
}

// cleanRows are the rows of the clean sample. Every one passes the built-in
// rules and samples/rules/custom-rules.yaml on any day until 2027-09-30 (the
// earliest Expected Close Date), and a run against a fresh sandbox completes
// them all: creates first, then updates that address a referral by the CRM
// ID (External Reference ID) an earlier row creates it with, without a
// Partner Center ID.
func cleanRows() []row {
	return []row{
		merge(row{"Action": "create"},
			create("CRM-27001", "Fabrikam ERP refresh", "Fabrikam Inc", "Private", 45000.0, "USD", d(2027, 10, 15), "US", "Seattle"),
			contact("Ana", "Bauer", "ana.bauer@fabrikam.com", "+1 206 555 0101"),
			row{"Notes": "ERP upgrade to Dynamics 365 Finance for the head office."}),
		merge(row{"Action": "create"},
			create("CRM-27002", "Northwind data estate", "Northwind Traders", "partner led", "$82,500", "usd", "10/29/2027", "us", "Chicago"),
			contact("Raj", "Patel", "raj.patel@northwind.com", "(312) 555-0142"),
			row{"Notes": "Consolidate three data warehouses into one lakehouse."}),
		merge(row{"Action": "create"},
			create("CRM-27003", "Tailspin AI assistants", "Tailspin Toys", "Co-Sell", 120000.0, "USD", d(2027, 11, 30), "US", "Austin"),
			contact("Mia", "Chen", "mia.chen@tailspin.com", "512-555-0188"),
			row{"Solution ID": "SOL-34104-EBB", "Assistance Request Code": "ProofOfConceptOrDemo",
				"Invite Notes": "Customer wants a PoC on Azure OpenAI before budget sign-off.",
				"Notes":        "Customer service assistants for 400 agents."}),
		merge(row{"Action": "create"},
			create("CRM-27004", "Adventure Works analytics", "Adventure Works GmbH", "cosell", "EUR 64,000", "EUR", "2027-12-17", "DE", "Berlin"),
			contact("Jonas", "Weber", "jonas.weber@adventure-works.de", "+49 30 5550 1234"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "CustomerTechnicalArchitecture",
				"Invite Notes": "Architecture review with the customer's platform team.",
				"Notes":        "Sales analytics for the DACH region on Fabric."}),
		merge(row{"Action": "create"},
			create("CRM-27005", "Contoso Pharma platform", "Contoso Pharma", "Co-sell", 250000.0, "USD", d(2027, 9, 30), "US", "Boston"),
			contact("Lena", "Novak", "lena.novak@contosopharma.com", "617 555 0133"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "ProofOfConceptOrDemo",
				"Invite Notes": "Registered deal: the customer signs in September.",
				"Notes":        "Clinical data platform on Azure, three-year contract."},
			registrationSigned(250000, "USD", d(2026, 11, 16), d(2026, 12, 1), d(2029, 11, 30)),
			owner("Li", "Wang", "li.wang@partner.example")),
		merge(row{"Action": "create"},
			create("CRM-27006", "Litware Teams rollout", "Litware Inc", "Co-sell", 76000.0, "USD", d(2027, 10, 20), "US", "Denver"),
			contact("Omar", "Haddad", "omar.haddad@litware.com", "720-555-0190"),
			row{"Solution ID": "SOL-8163-XCJ", "Assistance Request Code": "GeneralOrOther",
				"Invite Notes":     "Rollout to 2,000 seats; Microsoft FastTrack welcome.",
				"Services Co-sell": "yes", "Partner Role": "Deployment services",
				"Solution Area": "Modern Work", "Solution Play": "Employee Experience",
				"Notes": "Teams Phone and Rooms rollout across four offices."}),
		merge(row{"Action": "create"},
			create("CRM-27007", "Alpine Ski House booking", "Alpine Ski House", "Private", "CHF 38,000", "CHF", d(2027, 10, 1), "CH", "Zurich"),
			contact("Nina", "Keller", "nina.keller@alpineskihouse.ch", "+41 44 555 01 20"),
			row{"Notes": "Booking engine rebuild before the winter season."}),
		merge(row{"Action": "create"},
			create("CRM-27008", "Proseware security review", "Proseware Ltd", "Partner-led", "£54,000", "GBP", d(2027, 11, 1), "GB", "London"),
			contact("Emma", "Clarke", "emma.clarke@proseware.co.uk", "+44 20 7946 0321"),
			row{"Notes": "Security assessment and Defender XDR deployment."}),
		merge(row{"Action": "create"},
			create("CRM-27009", "Humongous Insurance claims AI", "Humongous Insurance", "Co-sell", 320000.0, "USD", d(2027, 11, 30), "US", "Hartford"),
			contact("Ava", "Singh", "ava.singh@humongousinsurance.com", "860-555-0122"),
			row{"Solution ID": "SOL-34104-EBB", "Assistance Request Code": "WorkloadSpecificValueProposition",
				"Invite Notes": "Registered deal: claims triage with Azure AI.",
				"Notes":        "Claims triage with document intelligence, phase one."},
			registrationSigned(320000, "USD", d(2026, 11, 20), d(2026, 12, 1), d(2028, 11, 30)),
			owner("Sam", "Ortiz", "sam.ortiz@partner.example")),
		merge(row{"Action": "create"},
			create("CRM-27010", "VanArsdel retail analytics", "VanArsdel Ltd", "Partner-led", 73000.0, "EUR", d(2027, 12, 1), "FR", "Paris"),
			contact("Chloé", "Martin", "chloe.martin@vanarsdel.fr", "+33 1 55 50 12 34"),
			row{"Notes": "Store analytics for 120 shops, Power BI embedded."}),
		nil, // a blank line: skipped, and the rows below keep their own numbers
		merge(row{"Action": "create"},
			create("CRM-27011", "Wingtip Toys e-commerce", "Wingtip Toys", "Co-sell", 99000.0, "USD", d(2027, 12, 10), "US", "Dallas"),
			contact("Ben", "Hall", "ben.hall@wingtiptoys.com", "214-555-0161"),
			row{"Solution ID": "SOL-34104-EBB", "Assistance Request Code": "QuotesOrLicensing",
				"Invite Notes": "Licensing question on the storefront's AI search.",
				"Notes":        "Storefront replatforming with AI product search."}),
		merge(row{"Action": "create"},
			create("CRM-27012", "Margie's Travel booking engine", "Margie's Travel", "Partner-led", "USD 61,250.50", "USD", d(2027, 9, 30), "US", "Miami"),
			contact("Eli", "Ward", "eli.ward@margiestravel.com", "305-555-0199"),
			row{"Notes": "Booking engine moved to Azure Kubernetes Service."}),
		merge(row{"Action": "create"},
			create("CRM-27013", "Relecloud hybrid migration", "Relecloud", "Partner-led", 150000.0, "AUD", d(2027, 12, 15), "AU", "Sydney"),
			contact("Jack", "Wilson", "jack.wilson@relecloud.com.au", "+61 2 5550 1234"),
			row{"Notes": "Migrate 300 VMs from the Sydney data centre."}),

		// Updates of referrals created above, found by their CRM ID.
		{"Action": "update", "CRM ID": "CRM-27002", "Status": "Active", "Sub Status": "Accepted"},
		{"Action": "update", "CRM ID": "CRM-27001", "Amount": 52000.0, "Currency": "USD",
			"Notes": "Scope grows: the two regional offices join the ERP upgrade."},
		merge(row{"Action": "update", "CRM ID": "CRM-27010"}, owner("Kai", "Lopez", "kai.lopez@partner.example")),
	}
}
