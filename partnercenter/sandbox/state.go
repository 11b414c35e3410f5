package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// stateFormat names the first line of a state file, so that Open refuses a
// file that is something else rather than overwriting it.
const stateFormat = "refbatch-sandbox-state"

// stateVersion is the layout of the lines below the header.
const stateVersion = 1

// compactSlack is how many superseded lines a state file may carry beyond
// its live referrals before Open's snapshot is written again in place.
const compactSlack = 1024

// stateHeader is the first line of a state file.
type stateHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Seq     int64  `json:"seq"`     // creation sequence of the newest referral
	ETagSeq uint64 `json:"etagSeq"` // the last eTag counter handed out
}

// stateEntry is one line after the header: the whole of one referral after
// a committed write. A later line for the same id replaces an earlier one.
type stateEntry struct {
	Seq      int64       `json:"seq"`
	ETagSeq  uint64      `json:"etagSeq"`
	AcceptAt *time.Time  `json:"acceptAt,omitempty"` // a pending automatic acceptance
	Referral pc.Referral `json:"referral"`
}

// stateFile is the append-only log behind Options.StateFile. Callers hold
// s.mu for every method.
type stateFile struct {
	path  string
	f     *os.File // opened for appending
	lines int      // entry lines in the file
	live  int      // referrals the lines describe
	buf   bytes.Buffer
}

// Open returns a Server whose state lives in opts.StateFile (New's in-memory
// sandbox when it is ""). A missing file starts an empty sandbox; a file that
// is not a sandbox state file, or is corrupt, is an error. The file is
// rewritten compactly at Open (through a temporary file and a rename, mode
// 0600) and then every committed write (create, patch, automatic acceptance,
// the second writer of Faults.ConflictRate) appends the referral's new state
// and syncs it before the answer is written, so a dropped answer's change
// is in the file. Close the Server to release the file.
func Open(opts Options) (*Server, error) {
	s := New(opts)
	if opts.StateFile == "" {
		return s, nil
	}
	if err := s.loadState(opts.StateFile); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", opts.StateFile, err)
	}
	return s, nil
}

// Close releases the state file, if any. Writes after Close are answered
// 500 and change nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil || s.state.f == nil {
		return nil
	}
	err := s.state.f.Close()
	s.state.f = nil
	return err
}

// loadState reads the state file into the empty server and rewrites it.
func (s *Server) loadState(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return err
	}
	if len(data) > 0 {
		if err := s.decodeState(data); err != nil {
			return err
		}
	}
	s.state = &stateFile{path: path}
	return s.compactLocked()
}

// decodeState applies a state file's lines. A last line without its newline
// is a write that was cut short (its answer never left), and is ignored;
// anything else that does not parse is corruption.
func (s *Server) decodeState(data []byte) error {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if last := lines[len(lines)-1]; !bytes.HasSuffix(last, []byte("\n")) {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return errors.New("not a sandbox state file: no complete header line")
	}
	var h stateHeader
	if err := json.Unmarshal(lines[0], &h); err != nil || h.Format != stateFormat {
		return fmt.Errorf("not a sandbox state file (line 1 is not a %q header)", stateFormat)
	}
	if h.Version != stateVersion {
		return fmt.Errorf("state file version %d; this sandbox reads version %d", h.Version, stateVersion)
	}
	s.seq, s.etagSeq = h.Seq, h.ETagSeq
	for i, line := range lines[1:] {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e stateEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("line %d: %w", i+2, err)
		}
		if e.Referral.ID == "" || e.Seq <= 0 {
			return fmt.Errorf("line %d: a referral without id or sequence", i+2)
		}
		key := strings.ToLower(e.Referral.ID)
		rec := s.byID[key]
		if rec == nil {
			rec = &record{seq: e.Seq}
			s.byID[key] = rec
			s.order = append(s.order, rec)
		} else if rec.seq != e.Seq {
			return fmt.Errorf("line %d: referral %s has sequence %d, earlier %d", i+2, e.Referral.ID, e.Seq, rec.seq)
		}
		rec.ref = e.Referral
		rec.acceptAt = time.Time{}
		if e.AcceptAt != nil {
			rec.acceptAt = *e.AcceptAt
		}
		s.seq, s.etagSeq = max(s.seq, e.Seq), max(s.etagSeq, e.ETagSeq)
	}
	slices.SortFunc(s.order, func(a, b *record) int { return int(a.seq - b.seq) })
	for _, rec := range s.order {
		key := strings.ToLower(rec.ref.EngagementID)
		s.engagements[key] = append(s.engagements[key], rec)
		if !rec.acceptAt.IsZero() {
			s.pending[rec] = struct{}{}
		}
		s.track(rec)
	}
	return nil
}

// compactLocked writes the whole state to a temporary file in the state
// file's directory, syncs it and renames it over the state file, then
// reopens it for appending.
func (s *Server) compactLocked() error {
	st := s.state
	dir, base := filepath.Split(st.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	w := bufio.NewWriterSize(tmp, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err = enc.Encode(stateHeader{Format: stateFormat, Version: stateVersion, Seq: s.seq, ETagSeq: s.etagSeq})
	for _, rec := range s.order {
		if err != nil {
			break
		}
		err = enc.Encode(s.entry(rec.seq, rec.ref, rec.acceptAt))
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), st.path)
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows it
		_ = d.Close()
	}
	// The old handle, if any, still points at the replaced file: swap it
	// only now, so a failed compaction leaves appends working.
	f, err := os.OpenFile(st.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if st.f != nil {
		_ = st.f.Close()
	}
	st.f = f // nil on error: writes then fail rather than go to the replaced file
	if err != nil {
		return err
	}
	st.lines, st.live = len(s.order), len(s.order)
	return nil
}

func (s *Server) entry(seq int64, ref pc.Referral, acceptAt time.Time) stateEntry {
	e := stateEntry{Seq: seq, ETagSeq: s.etagSeq, Referral: ref}
	if !acceptAt.IsZero() {
		at := acceptAt.UTC()
		e.AcceptAt = &at
	}
	return e
}

// persistLocked appends the new state of one referral and syncs it: the
// write is committed once this returns nil, before the change is applied in
// memory and before any answer. newRecord says the referral did not exist
// before. Without a state file it does nothing.
func (s *Server) persistLocked(seq int64, ref pc.Referral, acceptAt time.Time, newRecord bool) *apiError {
	st := s.state
	if st == nil {
		return nil
	}
	if st.f == nil {
		return &apiError{status: 500, code: codeInternal, message: "the sandbox is closed: its state file is no longer written"}
	}
	st.buf.Reset()
	enc := json.NewEncoder(&st.buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(s.entry(seq, ref, acceptAt))
	if err == nil {
		_, err = st.f.Write(st.buf.Bytes())
	}
	if err == nil {
		err = st.f.Sync()
	}
	if err != nil {
		return &apiError{status: 500, code: codeInternal, message: "saving the sandbox state: " + err.Error()}
	}
	st.lines++
	if newRecord {
		st.live++
	}
	return nil
}

// maybeCompactLocked rewrites the state file when superseded lines
// outnumber the live ones (plus some slack), so a long rehearsal's file
// stays proportional to its referrals. The cost, one full write, is spread
// over at least as many appends. A failure is logged and leaves the log as
// it is, which is still complete.
func (s *Server) maybeCompactLocked() {
	st := s.state
	if st == nil || st.f == nil || st.lines <= 2*st.live+compactSlack {
		return
	}
	if err := s.compactLocked(); err != nil && s.log != nil {
		s.log.Error("compacting the sandbox state file", "file", st.path, "error", err)
	}
}
