package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// patchable lists the JSON Pointer paths a PATCH may target, as canonical
// segments: "*" matches one segment, "**" one or more. Everything else
// (id, engagementId, organizationId, dates, eTag, links, type, target,
// inviteContext, …) is owned by the server or fixed at creation.
var patchable = []string{
	"/name", "/status", "/substatus", "/statusReason", "/qualification", "/externalReferenceId",
	"/details/dealValue", "/details/notes", "/details/currency", "/details/closingDateTime",
	"/details/requirements", "/details/requirements/**",
	"/customerProfile", "/customerProfile/**",
	"/consent", "/consent/*",
	"/team", "/team/-",
	"/campaignId", "/referralProgram", "/salesStage",
	"/registrations/-",
	"/registrations/*/contract", "/registrations/*/contract/*",
	"/registrations/*/solutionDetails/*/value", "/registrations/*/solutionDetails/*/currency",
	"/registrations/*/solutionDetails/*/isDeployedOnAzure", "/registrations/*/solutionDetails/*/primaryDeploymentOn",
	"/registrations/*/solutionDetails/*/pricingModel",
	"/registrations/*/solutionDetails/*/marketplaceTransactionDetails",
	"/registrations/*/solutionDetails/*/marketplaceTransactionDetails/*",
	"/partnerRole", "/solutionArea", "/solutionPlay",
}

// patchOp is one validated JSON Patch operation.
type patchOp struct {
	index int
	op    string   // pc.OpAdd or pc.OpReplace
	path  string   // as sent
	segs  []string // canonical segments: JSON names, indices, "-"
	value reflect.Value
}

// handlePatch answers PATCH /v1.0/engagements/referrals/{id}. The operations
// are applied to a copy and the copy is validated as a whole; only then does
// it replace the stored referral, so a failed patch changes nothing.
func (s *Server) handlePatch(w *statusWriter, r *http.Request, id string, d faultDecision) {
	body, e := s.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	var ref pc.Referral
	ifMatch := r.Header.Values("If-Match")
	s.locked(func() { ref, e = s.patchLocked(id, ifMatch, body, d.conflict) })
	if e != nil {
		if d.conflict && len(ifMatch) > 0 && e.status == http.StatusPreconditionFailed {
			w.fault = "conflict"
		}
		writeError(w, e)
		return
	}
	if d.drop {
		s.dropConnection(w)
		return
	}
	if preferRepresentation(r) {
		s.writeReferral(w, r, http.StatusOK, ref, false)
		return
	}
	w.Header().Set("ETag", ref.ETag)
	w.WriteHeader(http.StatusNoContent)
}

// patchLocked applies a patch and commits it. With conflict, a second
// writer edits the referral first (Faults.ConflictRate). Callers hold s.mu.
func (s *Server) patchLocked(id string, ifMatch []string, body []byte, conflict bool) (pc.Referral, *apiError) {
	rec := s.find(id)
	if rec == nil {
		return pc.Referral{}, &apiError{status: http.StatusNotFound, code: codeNotFound, target: "id", message: fmt.Sprintf("no referral with id %q", id)}
	}
	if conflict && len(ifMatch) > 0 {
		if e := s.secondWriterLocked(rec); e != nil {
			return pc.Referral{}, e
		}
	}
	if len(ifMatch) > 0 && !etagMatches(ifMatch, rec.ref.ETag) {
		return pc.Referral{}, &apiError{status: http.StatusPreconditionFailed, code: codePreconditionFailed, target: "If-Match",
			message: fmt.Sprintf("the referral has changed: If-Match %s does not match its eTag %s; get it again", strings.Join(ifMatch, ", "), rec.ref.ETag)}
	}
	ops, e := parsePatch(body)
	if e != nil {
		return pc.Referral{}, e
	}
	if e := terminalRefusal(&rec.ref, ops); e != nil {
		return pc.Referral{}, e
	}

	next := deepCopy(rec.ref)
	root := reflect.ValueOf(&next).Elem()
	registers := false        // a registration is added
	touched := map[int]bool{} // registrations added or changed, by index
	for _, op := range ops {
		before := len(next.Registrations)
		if e := applyOp(root, op); e != nil {
			return pc.Referral{}, e
		}
		if op.segs[0] != "registrations" {
			continue
		}
		switch {
		case len(op.segs) == 1: // the whole array
			registers = registers || len(next.Registrations) > 0
			for i := range next.Registrations {
				touched[i] = true
			}
		case len(next.Registrations) > before: // add /registrations/- or /registrations/{i}
			registers = true
			i := before
			if op.segs[1] != "-" {
				i, _ = strconv.Atoi(op.segs[1])
			}
			touched[i] = true
		default:
			i, _ := strconv.Atoi(op.segs[1])
			touched[i] = true
		}
	}
	if registers && len(rec.ref.Registrations) > 0 {
		// One deal registration per referral: the Swagger's patch paths only
		// ever name /registrations/0, and register-deals.md has a deal
		// re-registered on a new referral. error-codes.md: 409, "the current
		// state conflicts with what the request expects".
		return pc.Referral{}, &apiError{status: http.StatusConflict, code: codeAlreadyRegistered, target: "/registrations/-",
			message: "the referral already has a deal registration; change it with /registrations/0/… paths"}
	}
	for i := range touched {
		if i < len(rec.ref.Registrations) {
			if e := registrationEditRefusal(&rec.ref.Registrations[i], "/registrations/"+strconv.Itoa(i)); e != nil {
				return pc.Referral{}, e
			}
		}
	}
	if e := shareRefusal(&rec.ref, &next); e != nil {
		return pc.Referral{}, e
	}
	normaliseEnums(&next)
	if e := validateReferral(&next); e != nil {
		e.target = asPatchTarget(e.target)
		return pc.Referral{}, e
	}
	if from, to := rec.ref.Status, next.Status; !transitionAllowed(from, to) {
		return pc.Referral{}, badRequest(codeInvalidTransition, "/status", "status cannot change from %s to %s (allowed from %s: %s)",
			from, to, from, joinValues(transitionsFrom[from]))
	}
	if registers {
		if s.opts.PartnerIneligible {
			return pc.Referral{}, badRequest(codeNotEligible, "/registrations/-", "the partner is not eligible for deal registration")
		}
		el := s.evaluateLocked(&next)
		if !el.IsEligible {
			names := make([]string, len(el.FailedPolicies))
			for i, p := range el.FailedPolicies {
				names[i] = p.PolicyName
			}
			return pc.Referral{}, badRequest(codeNotEligible, "/registrations/-",
				"the referral is not eligible for deal registration; failed policies: %s", strings.Join(names, ", "))
		}
	}
	now := s.now().UTC()
	currency := ""
	if next.Details != nil {
		currency = next.Details.Currency
	}
	for i := range next.Registrations {
		if !touched[i] {
			continue
		}
		reg := &next.Registrations[i]
		target := "/registrations/" + strconv.Itoa(i)
		asOf := now
		if registers && i >= len(rec.ref.Registrations) {
			target = "/registrations/-"
		} else if reg.RegistrationDateTime != nil {
			asOf = *reg.RegistrationDateTime // an edit is held to the day of the registration
		}
		if e := s.checkRegistrationForm(reg, target, currency, asOf); e != nil {
			return pc.Referral{}, e
		}
		if reg.ID == "" {
			reg.ID = uuid.NewString()
		}
		if reg.RegistrationDateTime == nil {
			reg.RegistrationDateTime = &now
		}
		if registers && i >= len(rec.ref.Registrations) {
			s.startReview(reg, now)
		}
	}

	next.UpdatedDateTime = &now
	if next.Status == pc.StatusActive && next.AcceptedDateTime == nil {
		next.AcceptedDateTime = &now
	}
	acceptAt := rec.acceptAt
	if next.Status != pc.StatusNew {
		acceptAt = time.Time{}
	}
	next.ETag = s.nextETag(now)
	if e := s.persistLocked(rec.seq, next, acceptAt, false); e != nil {
		return pc.Referral{}, e
	}
	if acceptAt.IsZero() {
		delete(s.pending, rec)
	}
	s.setRef(rec, next)
	rec.acceptAt = acceptAt
	s.track(rec)
	s.maybeCompactLocked()
	return next, nil
}

// secondWriterLocked commits an edit by someone else: a new eTag and
// updatedDateTime and nothing else, as a change in the Partner Center UI to a
// field refbatch does not patch would leave the referral. Callers hold s.mu.
func (s *Server) secondWriterLocked(rec *record) *apiError {
	now := s.now().UTC()
	next := rec.ref
	next.UpdatedDateTime = &now
	next.ETag = s.nextETag(now)
	if e := s.persistLocked(rec.seq, next, rec.acceptAt, false); e != nil {
		return e
	}
	s.setRef(rec, next)
	return nil
}

// parsePatch reads a JSON Patch document and checks every operation: op,
// path (resolved against the resource and the whitelist) and value (decoded
// into the type at the path), before anything is applied.
func parsePatch(body []byte) ([]patchOp, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest(codeInvalidJSON, "body", "the request needs a JSON Patch body: an array of operations")
	}
	if !json.Valid(body) {
		return nil, decodeBody(body, new(any))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest(codeInvalidPatchOperation, "body", "a JSON Patch document is an array of operations")
	}
	if len(raw) == 0 {
		return nil, badRequest(codeInvalidPatchOperation, "body", "the patch has no operations")
	}
	ops := make([]patchOp, 0, len(raw))
	for i, el := range raw {
		at := "[" + strconv.Itoa(i) + "]"
		var m map[string]json.RawMessage
		if err := json.Unmarshal(el, &m); err != nil || m == nil {
			return nil, badRequest(codeInvalidPatchOperation, at, "operation %d is not an object", i)
		}
		var op, path string
		if v, ok := m["op"]; !ok || json.Unmarshal(v, &op) != nil {
			return nil, badRequest(codeInvalidPatchOperation, at+".op", "operation %d needs an op: replace or add", i)
		}
		if v, ok := m["path"]; !ok || json.Unmarshal(v, &path) != nil {
			return nil, badRequest(codeInvalidPatchOperation, at+".path", "operation %d needs a path (a JSON Pointer such as /details/notes)", i)
		}
		if path == "" {
			return nil, badRequest(codeInvalidPatchOperation, at+".path", "operation %d: the path is empty; the whole referral cannot be replaced", i)
		}
		switch strings.ToLower(op) {
		case pc.OpAdd, pc.OpReplace:
			op = strings.ToLower(op)
		case "remove", "move", "copy", "test":
			return nil, badRequest(codeInvalidPatchOperation, at+".op", "operation %d: op %q is not supported; the API supports only replace and add", i, op)
		default:
			return nil, badRequest(codeInvalidPatchOperation, at+".op", "operation %d: unknown op %q; the API supports only replace and add", i, op)
		}
		segs, slot, e := resolvePath(path)
		if e != nil {
			return nil, e
		}
		if !isPatchable(segs) {
			return nil, badRequest(codePathNotPatchable, path, "path %s cannot be patched; patchable paths: %s", path, strings.Join(patchable, " "))
		}
		if segs[len(segs)-1] == "-" && op != pc.OpAdd {
			return nil, badRequest(codeInvalidPatchOperation, path, "operation %d: %s appends to an array, which only add can do", i, path)
		}
		rawValue, ok := m["value"]
		if !ok {
			return nil, badRequest(codeInvalidPatchOperation, path, "operation %d: %s needs a value", i, op)
		}
		value, e := decodeValue(rawValue, slot, path)
		if e != nil {
			return nil, e
		}
		ops = append(ops, patchOp{index: i, op: op, path: path, segs: segs, value: value})
	}
	return ops, nil
}

// resolvePath checks a JSON Pointer against the Referral resource and
// returns its canonical segments and the type of the value it names.
func resolvePath(path string) ([]string, reflect.Type, *apiError) {
	if !strings.HasPrefix(path, "/") {
		return nil, nil, badRequest(codeInvalidPatchOperation, path, "path %q is not a JSON Pointer: it must start with /", path)
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]string, 0, len(parts))
	slot := reflect.TypeFor[pc.Referral]()
	for i, part := range parts {
		seg, ok := unescapePointer(part)
		if !ok {
			return nil, nil, badRequest(codeInvalidPatchOperation, path, "path %q has a bad escape (~0 is ~, ~1 is /)", path)
		}
		t := slot
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t.Kind() == reflect.Struct && t != timeType:
			f, ok := fieldByJSONName(t, seg)
			if !ok {
				return nil, nil, badRequest(codePathNotPatchable, path, "path %s: the resource has no field %q here", path, seg)
			}
			segs, slot = append(segs, f.name), f.typ
		case t.Kind() == reflect.Slice && t != rawMessageType:
			if seg == "-" {
				if i != len(parts)-1 {
					return nil, nil, badRequest(codeInvalidPatchOperation, path, "path %s: - (the end of an array) can only be last", path)
				}
			} else if !isIndex(seg) {
				return nil, nil, badRequest(codeInvalidPatchOperation, path, "path %s: %q is not an array index", path, seg)
			}
			segs, slot = append(segs, seg), t.Elem()
		default:
			return nil, nil, badRequest(codePathNotPatchable, path, "path %s goes below a value that has no fields", path)
		}
	}
	return segs, slot, nil
}

func unescapePointer(s string) (string, bool) {
	if !strings.Contains(s, "~") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '~' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) || (s[i+1] != '0' && s[i+1] != '1') {
			return "", false
		}
		if s[i+1] == '0' {
			b.WriteByte('~')
		} else {
			b.WriteByte('/')
		}
		i++
	}
	return b.String(), true
}

// isIndex reports whether s is a JSON Pointer array index: digits, no
// leading zero, small enough for an int.
func isIndex(s string) bool {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isPatchable(segs []string) bool {
	for _, p := range patchable {
		if matchPattern(strings.Split(p[1:], "/"), segs) {
			return true
		}
	}
	return false
}

func matchPattern(pattern, segs []string) bool {
	for i, p := range pattern {
		switch {
		case p == "**":
			return len(segs) > i
		case i >= len(segs):
			return false
		case p != "*" && p != segs[i]:
			return false
		}
	}
	return len(pattern) == len(segs)
}

// decodeValue decodes an operation's value into the type at its path.
func decodeValue(raw json.RawMessage, slot reflect.Type, path string) (reflect.Value, *apiError) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) && slot.Kind() == reflect.Struct && slot != timeType {
		return reflect.Value{}, badRequest(codeInvalidValue, path, "%s: the value must be an object, not null", path)
	}
	p := reflect.New(slot)
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		p.Elem().SetZero()
		if probs, terr := pc.DecodeTolerant(raw, p.Interface()); terr == nil && len(probs) == 0 {
			return p.Elem(), nil
		}
		p.Elem().SetZero()
		var generic any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		target, typ := path, slot
		if dec.Decode(&generic) == nil {
			if loc := locate(generic, slot, ""); loc != nil {
				err, typ = loc.err, loc.typ
				if loc.path != "" {
					target = strings.TrimSuffix(path, "/") + asPatchTarget(loc.path)
				}
			}
		}
		return reflect.Value{}, badRequest(codeInvalidValue, target, "%s: %s", target, describeDecodeError(typ, err))
	}
	return p.Elem(), nil
}

// applyOp applies one operation to the referral behind root. Missing objects
// on the way are created, as on the service's typed model, where every
// modelled property exists; array indices must exist (add may also insert
// at the length).
func applyOp(root reflect.Value, op patchOp) *apiError {
	v := root
	for i, seg := range op.segs {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		last := i == len(op.segs)-1
		switch v.Kind() {
		case reflect.Struct:
			f, _ := fieldByJSONName(v.Type(), seg)
			fv := v.Field(f.index)
			if last {
				fv.Set(op.value)
				return nil
			}
			v = fv
		case reflect.Slice:
			if seg == "-" {
				v.Set(reflect.Append(v, op.value))
				return nil
			}
			n, _ := strconv.Atoi(seg)
			switch {
			case last && op.op == pc.OpAdd && n <= v.Len():
				grown := reflect.MakeSlice(v.Type(), 0, v.Len()+1)
				grown = reflect.AppendSlice(grown, v.Slice(0, n))
				grown = reflect.Append(grown, op.value)
				grown = reflect.AppendSlice(grown, v.Slice(n, v.Len()))
				v.Set(grown)
				return nil
			case n >= v.Len():
				return badRequest(codeInvalidPatchOperation, op.path, "operation %d: index %d is beyond the end of the array (length %d)", op.index, n, v.Len())
			case last:
				v.Index(n).Set(op.value)
				return nil
			}
			v = v.Index(n)
		default:
			return badRequest(codeInvalidPatchOperation, op.path, "operation %d: %s cannot be applied", op.index, op.path)
		}
	}
	return nil
}

// etagMatches implements If-Match: "*" matches any current entity; weak
// ("W/") and unquoted forms are compared by their opaque part.
func etagMatches(values []string, current string) bool {
	for _, h := range values {
		for _, tag := range strings.Split(h, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || (tag != "" && opaqueTag(tag) == opaqueTag(current)) {
				return true
			}
		}
	}
	return false
}

func opaqueTag(t string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(t), "W/"), `"`)
}

// preferRepresentation reports whether the request carries
// Prefer: return=representation.
func preferRepresentation(r *http.Request) bool {
	for _, h := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "return") && strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"`), "representation") {
				return true
			}
		}
	}
	return false
}
