package main

// The crash test (SPEC §7, "the guarantee to prove"): the real binary runs
// against a `refbatch sandbox` subprocess that drops answers after
// committing and fails requests with 5xx; it is SIGKILLed at random moments,
// resumed, killed again, and resumed until it finishes. The sandbox's dump
// must then show every row's effect exactly once.

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
)

// buildBinary builds refbatch once per test into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refbatch")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startSandboxProcess runs `refbatch sandbox` on a free loopback port and
// returns its base URL.
func startSandboxProcess(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--quiet"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "sandbox listening on "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return strings.TrimSpace(u)
		}
	}
	t.Fatalf("sandbox did not say where it listens")
	return ""
}

// crashRows writes an input CSV: creates of every deal type, co-sell deals
// with a deal registration, and updates (status, team member) of referrals
// created by earlier rows, addressed by their CRM ID.
func crashRows(t *testing.T, path string, n int) (creates, cosells, registers []string, updates map[string]string) {
	t.Helper()
	header := []string{"Action", "CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency",
		"Close Date", "Contact First Name", "Contact Last Name", "Contact Email", "Solution ID", "Assistance Request Code",
		"Status", "Substatus", "Team Member Email", "Register Deal", "Customer Managed", "Microsoft Referral Status",
		"Contract Value", "Contract Currency", "Contract Term", "Contract Sign Date", "Contract Start Date",
		"Contract End Date", "Pricing Model", "Primary Deployment On", "Deployed On Azure"}
	updates = map[string]string{}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	sign := time.Now().AddDate(0, 0, -5).Format("2006-01-02")
	start := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	end := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	for i := 0; i < n; i++ {
		ext := fmt.Sprintf("KILL-%04d", i)
		rec := make([]string, len(header))
		set := func(col, v string) {
			for j, h := range header {
				if h == col {
					rec[j] = v
					return
				}
			}
			t.Fatalf("no column %s", col)
		}
		base := func(dealType string) {
			set("CRM ID", ext)
			set("Opportunity Name", "Deal "+ext)
			set("Deal Type", dealType)
			set("Account Name", "Customer "+ext)
			set("Country", "US")
			set("Amount", "$60,000")
			set("Currency", "USD")
			set("Close Date", "2027-09-30")
			set("Contact First Name", "Ana")
			set("Contact Last Name", "Bauer")
			set("Contact Email", "ana."+strings.ToLower(ext)+"@example.com")
		}
		switch i % 5 {
		case 0, 1:
			base([]string{"Private", "Partner-led"}[i%2])
			creates = append(creates, ext)
		case 2:
			base("Co-sell")
			set("Solution ID", "SOL-34104-EBB")
			set("Assistance Request Code", "ProofOfConceptOrDemo")
			creates, cosells = append(creates, ext), append(cosells, ext)
		case 3:
			base("Co-sell")
			set("Solution ID", "SOL-34104-EBB")
			set("Assistance Request Code", "ProofOfConceptOrDemo")
			for col, v := range map[string]string{"Register Deal": "yes", "Customer Managed": "yes", "Microsoft Referral Status": "Accepted",
				"Contract Value": "70000", "Contract Currency": "USD", "Contract Term": "Finite", "Contract Sign Date": sign,
				"Contract Start Date": start, "Contract End Date": end, "Pricing Model": "Other", "Primary Deployment On": "Partner",
				"Deployed On Azure": "yes"} {
				set(col, v)
			}
			creates, cosells, registers = append(creates, ext), append(cosells, ext), append(registers, ext)
		case 4:
			target := fmt.Sprintf("KILL-%04d", i-4)
			set("Action", "update")
			set("CRM ID", target)
			set("Status", "Active")
			set("Substatus", "Accepted")
			email := "owner." + strings.ToLower(target) + "@partner.example"
			set("Team Member Email", email)
			updates[target] = email
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return creates, cosells, registers, updates
}

func TestCrashAndResumeExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	base := startSandboxProcess(t, bin, "--drop-rate", "0.2", "--fail-rate", "0.1", "--latency", "3ms", "--jitter", "3ms",
		"--accept-after", "300ms", "--list-lag", "2s", "--seed", "7", "--state", filepath.Join(dir, "sandbox-state.json"))
	input := filepath.Join(dir, "pipeline.csv")
	creates, cosells, registers, updates := crashRows(t, input, 150)
	journalPath := filepath.Join(dir, "refbatch.db")
	token := "crash-test-token-7f3a9c"

	seed := time.Now().UnixNano()
	t.Logf("kill schedule seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 1))
	deadline := time.Now().Add(90 * time.Second)
	kills, finished := 0, false
	started := false
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		args := []string{"resume", "--journal", journalPath, "--retry-failed", "--quiet", "--register-wait", "20s", "--settle", "3s", "--endpoint", base}
		if !started {
			args = []string{"run", "--journal", journalPath, "--quiet", "--register-wait", "20s", "--settle", "3s", "--endpoint", base, input}
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "REFBATCH_TOKEN="+token)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		killed := false
		if kills < 6 {
			select {
			case err = <-done:
			case <-time.After(time.Duration(30+rnd.IntN(700)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err = <-done
				killed = true
				kills++
			}
		} else {
			err = <-done
		}
		if strings.Contains(out.String(), token) {
			t.Fatalf("the token appears in refbatch's output:\n%s", out.String())
		}
		if killed {
			started = true // resume takes over; it says so if no run was recorded yet
			continue
		}
		// The run record exists once any run got that far.
		if strings.Contains(out.String(), "has no run yet") || strings.Contains(out.String(), "does not exist") {
			started = false
			continue
		}
		started = true
		if err == nil {
			finished = true
			break
		}
		t.Logf("attempt %d exited %v:\n%s", attempt, err, out.String())
	}
	if !finished {
		t.Fatalf("the run did not finish within the deadline after %d kills", kills)
	}
	t.Logf("finished after %d kills", kills)

	refs := sandboxDump(t, base)
	partner := map[string][]partnercenter.Referral{}
	msft := map[string]int{}
	for _, r := range refs {
		if r.OrganizationID == partnercenter.MicrosoftOrganizationID {
			msft[r.EngagementID]++
			continue
		}
		partner[r.ExternalReferenceID] = append(partner[r.ExternalReferenceID], r)
	}
	for _, ext := range creates {
		if n := len(partner[ext]); n != 1 {
			t.Errorf("%s: %d referrals, want exactly 1", ext, n)
		}
	}
	for _, ext := range cosells {
		if len(partner[ext]) == 1 {
			if n := msft[partner[ext][0].EngagementID]; n != 1 {
				t.Errorf("%s: %d linked Microsoft referrals, want exactly 1", ext, n)
			}
		}
	}
	for _, ext := range registers {
		if len(partner[ext]) == 1 {
			if n := len(partner[ext][0].Registrations); n != 1 {
				t.Errorf("%s: %d deal registrations, want exactly 1", ext, n)
			}
		}
	}
	for ext, email := range updates {
		if len(partner[ext]) != 1 {
			continue
		}
		ref := partner[ext][0]
		if ref.Status != partnercenter.StatusActive {
			t.Errorf("%s: status %s, want Active", ext, ref.Status)
		}
		n := 0
		for _, m := range ref.Team {
			if strings.EqualFold(m.Email, email) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: team member %s present %d times, want exactly 1", ext, email, n)
		}
	}
	// The journal and the sandbox state never hold the token.
	for _, p := range []string{journalPath, journalPath + "-wal", filepath.Join(dir, "sandbox-state.json")} {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), token) {
			t.Errorf("%s contains the token", p)
		}
	}
}

func sandboxDump(t *testing.T, base string) []partnercenter.Referral {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_sandbox/referrals", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var refs []partnercenter.Referral
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		t.Fatal(err)
	}
	return refs
}
