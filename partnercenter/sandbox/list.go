package sandbox

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Page sizes of GET /v1.0/engagements/referrals. $top is the page size, as
// in Partner Center's list APIs: more results come through @odata.nextLink.
const (
	DefaultPageSize = 100  // page size when $top is absent
	MaxPageSize     = 1000 // a larger $top is lowered to this
)

// filterClause is one "field eq 'value'" of a $filter.
type filterClause struct {
	field string // canonical: engagementId, status, substatus, type
	value string // canonical enum value, or the engagement id
}

type listQuery struct {
	filter  string // as sent, for the next link
	clauses []filterClause
	desc    bool
	orderBy string // as sent, for the next link
	top     int
	after   int64 // creation sequence of the last referral of the previous page; 0 = first page
}

// handleList answers GET /v1.0/engagements/referrals with $filter, $orderby,
// $top and $skiptoken. The skip token is a keyset cursor (the creation
// sequence of the last referral served), so referrals created while a client
// pages are neither skipped nor repeated in ascending order, and in
// descending order appear only on a fresh first page.
func (s *Server) handleList(w *statusWriter, r *http.Request) {
	q, e := parseListQuery(r.URL.RawQuery)
	if e != nil {
		writeError(w, e)
		return
	}
	page := make([]pc.Referral, 0, min(q.top+1, 64))
	var last int64
	more := false
	s.locked(func() {
		n := len(s.order)
		for i := range n {
			rec := s.order[i]
			if q.desc {
				rec = s.order[n-1-i]
			}
			if q.after > 0 && ((!q.desc && rec.seq <= q.after) || (q.desc && rec.seq >= q.after)) {
				continue
			}
			if !q.matches(&rec.ref) {
				continue
			}
			if len(page) == q.top {
				more = true
				break
			}
			page = append(page, rec.ref)
			last = rec.seq
		}
	})

	base := baseURL(r)
	for i := range page {
		page[i].Links = referralLinks(base, page[i].ID, page[i].EngagementID)
	}
	out := pc.ReferralPage{Value: page}
	if more {
		out.NextLink = base + referralsPath + "?" + q.nextQuery(last)
	}
	writeJSON(w, http.StatusOK, out)
}

func (q *listQuery) matches(r *pc.Referral) bool {
	for _, c := range q.clauses {
		var ok bool
		switch c.field {
		case "engagementId":
			ok = strings.EqualFold(r.EngagementID, c.value)
		case "status":
			ok = string(r.Status) == c.value
		case "substatus":
			ok = string(r.Substatus) == c.value
		case "type":
			ok = string(r.Type) == c.value
		}
		if !ok {
			return false
		}
	}
	return true
}

func (q *listQuery) nextQuery(last int64) string {
	var parts []string
	if q.filter != "" {
		parts = append(parts, "$filter="+queryEscape(q.filter))
	}
	if q.orderBy != "" {
		parts = append(parts, "$orderby="+queryEscape(q.orderBy))
	}
	parts = append(parts, "$top="+strconv.Itoa(q.top), "$skiptoken="+encodeSkipToken(last))
	return strings.Join(parts, "&")
}

func encodeSkipToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatInt(seq, 10)))
}

func decodeSkipToken(tok string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(b), "v1:")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	return seq, err == nil && seq > 0
}

func parseListQuery(raw string) (listQuery, *apiError) {
	q := listQuery{top: DefaultPageSize}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return q, badRequest(codeInvalidQuery, "query", "the query string is malformed: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		vs := values[name]
		if !strings.HasPrefix(name, "$") {
			continue // not an OData option; ignored
		}
		if len(vs) > 1 {
			return q, badRequest(codeInvalidQuery, name, "%s is given %d times", name, len(vs))
		}
		v := vs[0]
		switch strings.ToLower(name) {
		case "$filter":
			clauses, err := parseFilter(v)
			if err != nil {
				return q, badRequest(codeInvalidQuery, "$filter", "$filter: %v; supported: engagementId, status, substatus and type with eq and a single-quoted value, joined by and", err)
			}
			q.filter, q.clauses = v, clauses
		case "$orderby":
			field, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
			dir = strings.TrimSpace(dir)
			if !strings.EqualFold(field, "createdDateTime") || (dir != "" && !strings.EqualFold(dir, "asc") && !strings.EqualFold(dir, "desc")) {
				return q, badRequest(codeInvalidQuery, "$orderby", "$orderby %q is not supported; use createdDateTime, createdDateTime asc or createdDateTime desc", v)
			}
			q.orderBy, q.desc = v, strings.EqualFold(dir, "desc")
		case "$top":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return q, badRequest(codeInvalidQuery, "$top", "$top %q is not a positive integer", v)
			}
			q.top = min(n, MaxPageSize)
		case "$skiptoken":
			seq, ok := decodeSkipToken(v)
			if !ok {
				return q, badRequest(codeInvalidQuery, "$skiptoken", "$skiptoken %q was not issued by this service; follow @odata.nextLink as given", v)
			}
			q.after = seq
		default:
			return q, badRequest(codeInvalidQuery, name, "query option %s is not supported; supported: $filter, $orderby, $top, $skiptoken", name)
		}
	}
	return q, nil
}

// parseFilter reads clauses of the form `field eq 'value'` joined by `and`.
// A quote inside a value is written twice, as in OData.
func parseFilter(s string) ([]filterClause, error) {
	var clauses []filterClause
	i := 0
	skipSpaces := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	word := func() string {
		start := i
		for i < len(s) && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
			i++
		}
		return s[start:i]
	}
	skipSpaces()
	if i == len(s) {
		return nil, fmt.Errorf("empty filter")
	}
	for {
		skipSpaces()
		at := i
		field := word()
		var c filterClause
		switch {
		case strings.EqualFold(field, "engagementId"):
			c.field = "engagementId"
		case strings.EqualFold(field, "status"):
			c.field = "status"
		case strings.EqualFold(field, "substatus"):
			c.field = "substatus"
		case strings.EqualFold(field, "type"):
			c.field = "type"
		case field == "":
			return nil, fmt.Errorf("expected a field name at position %d", at)
		default:
			return nil, fmt.Errorf("cannot filter on %q", field)
		}
		skipSpaces()
		if op := word(); !strings.EqualFold(op, "eq") {
			return nil, fmt.Errorf("operator %q after %s is not supported; only eq is", op, field)
		}
		skipSpaces()
		if i == len(s) || s[i] != '\'' {
			return nil, fmt.Errorf("expected a single-quoted value after %s eq", field)
		}
		i++
		var v strings.Builder
		closed := false
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					v.WriteByte('\'')
					i += 2
					continue
				}
				i++
				closed = true
				break
			}
			v.WriteByte(s[i])
			i++
		}
		if !closed {
			return nil, fmt.Errorf("the value of %s is not closed by a single quote", field)
		}
		c.value = v.String()
		if err := canonicalFilterValue(&c); err != nil {
			return nil, err
		}
		clauses = append(clauses, c)
		skipSpaces()
		if i == len(s) {
			return clauses, nil
		}
		if j := word(); !strings.EqualFold(j, "and") {
			return nil, fmt.Errorf("expected and at position %d", i-len(j))
		}
		if i == len(s) || s[i] != ' ' {
			return nil, fmt.Errorf("expected a clause after and")
		}
	}
}

func canonicalFilterValue(c *filterClause) error {
	var ok bool
	switch c.field {
	case "status":
		v := canonical(pc.ReferralStatus(c.value), pc.ReferralStatuses())
		c.value, ok = string(v), v.Valid()
	case "substatus":
		v := canonical(pc.ReferralSubstatus(c.value), pc.ReferralSubstatuses())
		c.value, ok = string(v), v.Valid()
	case "type":
		v := canonical(pc.ReferralType(c.value), pc.ReferralTypes())
		c.value, ok = string(v), v.Valid()
	default:
		ok = c.value != ""
	}
	if !ok {
		return fmt.Errorf("%s %q is not a known value", c.field, c.value)
	}
	return nil
}
