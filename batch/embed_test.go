package batch_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/refbatch/refbatch/batch"
)

// TestEmbeddingProgramResumesAfterKill builds the README's embedding
// example (examples/embed, a module of its own that requires this one with
// a replace), SIGKILLs it at random moments while it loads 400 rows into a
// sandbox kept in a state file, starts it again each time, and checks from
// outside, in the sandbox's state, that every row was created once.
func TestEmbeddingProgramResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "embed")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "examples", "embed")
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/embed: %v\n%s", err, out)
	}
	const rows = 400
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, rows, false)
	jpath, state := filepath.Join(dir, "refbatch.db"), filepath.Join(dir, "state.json")

	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
	for attempt := 0; ; attempt++ {
		cmd := exec.Command(bin, input, jpath, state)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if attempt < 3 {
			select {
			case <-time.After(time.Duration(200+rnd.IntN(700)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
				continue
			case err := <-done:
				if err != nil {
					t.Fatalf("attempt %d: %v\n%s", attempt, err, out.String())
				}
			}
		} else if err := <-done; err != nil {
			t.Fatalf("attempt %d: %v\n%s", attempt, err, out.String())
		}
		break
	}
	t.Logf("killed %d times", kills)

	sb, err := batch.StartSandbox(context.Background(), batch.SandboxConfig{StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	seen := map[string]int{}
	for _, r := range sb.Server().Referrals() {
		if r.OrganizationID != "msft" {
			seen[r.ExternalReferenceID]++
		}
	}
	if len(seen) != rows {
		t.Errorf("%d distinct External Reference IDs in Partner Center, want %d", len(seen), rows)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s created %d times", id, n)
		}
	}
}
