// Command gencsv writes a large, all-valid referral CSV with the canonical
// headers, for measuring refbatch end to end:
//
//	go run ./bench/gencsv -rows 1000000 -out bench/out/1m.csv
//
// Rows are create rows that pass the built-in policies (SPEC §5): mostly
// Private and Partner-led deals, and a few Co-sell deals with a contact and
// a solution id. Closing dates lie 30 to 400 days after -from (default
// today), so a file goes stale after a month. Output is about 215 bytes a
// row and is the same for the same -seed and -from.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

func main() {
	rows := flag.Int("rows", 1000000, "data rows to write")
	out := flag.String("out", "", "output file (default stdout)")
	seed := flag.Uint64("seed", 1, "random seed")
	from := flag.String("from", "", "base date for closing dates, YYYY-MM-DD (default today)")
	flag.Parse()

	base := time.Now().UTC().Truncate(24 * time.Hour)
	if *from != "" {
		t, err := time.Parse("2006-01-02", *from)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencsv: -from:", err)
			os.Exit(2)
		}
		base = t
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencsv:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := generate(bw, *rows, *seed, base); err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}

var header = "Action,External Reference ID,Name,Deal Type,Customer Name,City,Country,Deal Value,Currency,Closing Date," +
	"Contact First Name,Contact Last Name,Contact Email,Contact Phone,Share With Microsoft Sellers,Consent To Contact,Solution IDs,Notes\n"

var (
	companies = []string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware", "Adventure Works",
		"Proseware", "Wingtip", "Alpine Ski House", "Coho Winery", "Lamna Healthcare", "Relecloud", "Trey Research"}
	suffixes = []string{"Ltd", "Inc", "GmbH", "SA", "BV", "plc", "Group", "Holdings"}
	projects = []string{"Azure migration", "Data platform", "Security uplift", "Copilot rollout", "SAP on Azure",
		"Modern workplace", "AI assistant pilot", "Contact centre", "Analytics refresh", "Backup and DR"}
	firsts = []string{"Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena"}
	lasts  = []string{"Smith", "Meyer", "Dubois", "Jansen", "Rossi", "Novak", "Okafor", "Tanaka", "Silva", "Berg"}
	places = []struct{ city, country, currency, phone string }{
		{"Seattle", "US", "USD", "+1 425 555 0"}, {"Austin", "US", "USD", "+1 512 555 0"},
		{"Berlin", "DE", "EUR", "+49 30 5550 "}, {"Paris", "FR", "EUR", "+33 1 5550 "},
		{"Amsterdam", "NL", "EUR", "+31 20 555 "}, {"London", "GB", "GBP", "+44 20 7946 "},
		{"Dublin", "IE", "EUR", "+353 1 555 "},
	}
	notes = []string{"Customer wants a proposal before quarter end", "Follow-up workshop booked with IT lead",
		"Budget approved; waiting for procurement", "Expansion of existing deployment to two regions"}
)

func generate(w *bufio.Writer, rows int, seed uint64, base time.Time) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if _, err := w.WriteString(header); err != nil {
		return err
	}
	buf := make([]byte, 0, 512)
	for i := 1; i <= rows; i++ {
		company := companies[rng.IntN(len(companies))]
		place := places[rng.IntN(len(places))]
		first, last := firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
		dealType := "Private"
		switch p := rng.IntN(100); {
		case p < 5:
			dealType = "Co-sell"
		case p < 40:
			dealType = "Partner-led"
		}
		buf = append(buf[:0], "create,CRM-"...)
		buf = appendPadded(buf, i, 8)
		buf = append(buf, ',')
		buf = append(buf, company...)
		buf = append(buf, ' ')
		buf = append(buf, projects[rng.IntN(len(projects))]...)
		buf = append(buf, ',')
		buf = append(buf, dealType...)
		buf = append(buf, ',')
		buf = append(buf, company...)
		buf = append(buf, ' ')
		buf = append(buf, suffixes[rng.IntN(len(suffixes))]...)
		buf = append(buf, ',')
		buf = append(buf, place.city...)
		buf = append(buf, ',')
		buf = append(buf, place.country...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(5000+rng.IntN(995)*1000), 10)
		if rng.IntN(4) == 0 {
			buf = append(buf, ".50"...)
		}
		buf = append(buf, ',')
		buf = append(buf, place.currency...)
		buf = append(buf, ',')
		buf = base.AddDate(0, 0, 30+rng.IntN(370)).AppendFormat(buf, "2006-01-02")
		buf = append(buf, ',')
		buf = append(buf, first...)
		buf = append(buf, ',')
		buf = append(buf, last...)
		buf = append(buf, ',')
		buf = appendLower(buf, first)
		buf = append(buf, '.')
		buf = appendLower(buf, last)
		buf = append(buf, '@')
		buf = appendDomain(buf, company)
		buf = append(buf, ".com,"...)
		buf = append(buf, place.phone...)
		buf = appendPadded(buf, rng.IntN(1000), 3)
		if dealType == "Private" {
			buf = append(buf, ",no,"...)
		} else {
			buf = append(buf, ",yes,"...)
		}
		buf = append(buf, "yes,"...)
		if dealType == "Co-sell" || rng.IntN(3) == 0 {
			buf = append(buf, "SOL-"...)
			buf = appendPadded(buf, 10000+rng.IntN(90000), 5)
		}
		buf = append(buf, ',')
		buf = append(buf, notes[rng.IntN(len(notes))]...)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func appendPadded(buf []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for k := len(s); k < width; k++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

func appendLower(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

func appendDomain(buf []byte, company string) []byte {
	for i := 0; i < len(company); i++ {
		if c := company[i]; c != ' ' {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
	}
	return buf
}
