package sandbox

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Page sizes of GET /v1.0/engagements/referrals. The service decides the
// page size (get-a-list-of-referrals.md: "If there are more than 100 items
// in a collection, to get the next page results use @odata.nextLink");
// $top is the total to retrieve (Microsoft's Swagger: "Total number of
// entries to retrieve (default = all)"), never the page size.
const (
	DefaultPageSize = 100  // Options.PageSize when 0
	MaxPageSize     = 1000 // a larger Options.PageSize is lowered to this
)

type listQuery struct {
	filterText string
	filter     filterExpr
	orderBy    string // as sent, for the next link
	byUpdated  bool   // order by updatedDateTime, else by createdDateTime
	desc       bool
	top        int // total still wanted; -1 = all
	skip       int
	count      bool
	countText  string
	selectText string
	selects    [][]string // canonical JSON names per selected path; nil = all
	after      *listCursor
}

// listCursor is the position after the last referral served: a keyset, so
// referrals created while a client pages are neither skipped nor repeated
// (in ascending creation order; in descending order they appear only on a
// fresh first page).
type listCursor struct {
	key int64 // updatedDateTime in Unix nanoseconds (byUpdated only)
	seq int64 // creation sequence
}

type listed struct {
	ref pc.Referral
	seq int64
	key int64
}

// listedRef is a referral matched by a listing, pointing into the store
// (valid while the lock is held).
type listedRef struct {
	ref *pc.Referral
	seq int64
	key int64
}

// listPage is one answer of the list: @odata.context as in the documents'
// response example, @odata.count with $count=true.
type listPage struct {
	Context  string `json:"@odata.context"`
	Count    *int   `json:"@odata.count,omitempty"`
	Value    []any  `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

// handleList answers GET /v1.0/engagements/referrals with the OData subset
// of odata.go and $select, $orderby, $top, $skip, $count and $skiptoken.
func (s *Server) handleList(w *statusWriter, r *http.Request) {
	q, e := parseListQuery(r.URL.RawQuery)
	if e != nil {
		writeError(w, e)
		return
	}
	pageSize := s.pageSize()
	var (
		page  []listed
		total int
		more  bool
	)
	// Everything under the lock, referrals copied only for the page: a
	// listing of 100,000 referrals copied every one of them for each page
	// of 100 (BenchmarkMirror: 305 s for a full listing at 100 requests/s).
	s.locked(func() {
		env := &evalEnv{}
		now := s.now()
		matched := make([]listedRef, 0, len(s.order))
		for _, rec := range s.order {
			ref, ok := s.listedRef(rec, now)
			if !ok {
				continue // not listed yet (Options.ListLag)
			}
			if q.filter != nil {
				env.root = reflect.ValueOf(ref).Elem()
				if !q.filter.eval(env) {
					continue
				}
			}
			l := listedRef{ref: ref, seq: rec.seq}
			if q.byUpdated && ref.UpdatedDateTime != nil {
				l.key = ref.UpdatedDateTime.UnixNano()
			}
			matched = append(matched, l)
		}
		total = len(matched)
		slices.SortStableFunc(matched, func(a, b listedRef) int {
			c := cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
			if q.desc {
				return -c
			}
			return c
		})
		start := 0
		if q.after != nil {
			start = len(matched)
			for i, l := range matched {
				c := cmp.Or(cmp.Compare(l.key, q.after.key), cmp.Compare(l.seq, q.after.seq))
				if (!q.desc && c > 0) || (q.desc && c < 0) {
					start = i
					break
				}
			}
		} else {
			start = min(q.skip, len(matched))
		}
		rest := matched[start:]
		n := min(len(rest), pageSize)
		if q.top >= 0 {
			n = min(n, q.top)
		}
		page = make([]listed, n)
		for i, l := range rest[:n] {
			page[i] = listed{ref: *l.ref, seq: l.seq, key: l.key}
		}
		more = n < len(rest)
	})
	n := len(page)

	base := baseURL(r)
	out := listPage{Context: base + "/v1.0/$metadata#Referrals", Value: make([]any, len(page))}
	if q.count {
		out.Count = &total
	}
	for i := range page {
		ref := page[i].ref
		ref.Links = referralLinks(base, ref.ID, ref.EngagementID)
		if q.selects == nil {
			out.Value[i] = ref
			continue
		}
		out.Value[i] = selectFields(ref, q.selects)
	}
	remaining := q.top
	if remaining >= 0 {
		remaining -= n
	}
	if more && remaining != 0 && n > 0 {
		last := page[n-1]
		out.NextLink = base + referralsPath + "?" + q.nextQuery(listCursor{key: last.key, seq: last.seq}, remaining)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pageSize() int {
	n := s.opts.PageSize
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxPageSize)
}

// selectFields returns only the selected members of ref.
func selectFields(ref pc.Referral, selects [][]string) map[string]any {
	b, err := json.Marshal(ref)
	if err != nil {
		panic("sandbox: encoding a stored referral: " + err.Error())
	}
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	out := map[string]any{}
	for _, path := range selects {
		src, dst := all, out
		for i, seg := range path {
			v, ok := src[seg]
			if !ok {
				break
			}
			if i == len(path)-1 {
				dst[seg] = v
				break
			}
			obj, ok := v.(map[string]any)
			if !ok {
				break
			}
			next, ok := dst[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				dst[seg] = next
			}
			src, dst = obj, next
		}
	}
	return out
}

func (q *listQuery) nextQuery(after listCursor, remaining int) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+queryEscape(v))
		}
	}
	add("$filter", q.filterText)
	add("$orderby", q.orderBy)
	add("$select", q.selectText)
	add("$count", q.countText)
	if remaining > 0 {
		add("$top", strconv.Itoa(remaining))
	}
	add("$skiptoken", encodeSkipToken(after))
	return strings.Join(parts, "&")
}

func encodeSkipToken(c listCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v2:" + strconv.FormatInt(c.key, 10) + ":" + strconv.FormatInt(c.seq, 10)))
}

func decodeSkipToken(tok string) (listCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return listCursor{}, false
	}
	rest, ok := strings.CutPrefix(string(b), "v2:")
	if !ok {
		return listCursor{}, false
	}
	k, sq, ok := strings.Cut(rest, ":")
	if !ok {
		return listCursor{}, false
	}
	key, err1 := strconv.ParseInt(k, 10, 64)
	seq, err2 := strconv.ParseInt(sq, 10, 64)
	return listCursor{key: key, seq: seq}, err1 == nil && err2 == nil && seq > 0
}

// supportedOptions is said in every 400 about an unknown option.
const supportedOptions = "$filter, $select, $orderby, $top, $skip, $count, $skiptoken"

func parseListQuery(raw string) (listQuery, *apiError) {
	q := listQuery{top: -1}
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
			f, err := parseFilter(v)
			if err != nil {
				return q, badRequest(codeInvalidQuery, "$filter", "$filter: %v", err)
			}
			q.filterText, q.filter = v, f
		case "$orderby":
			field, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
			dir = strings.TrimSpace(dir)
			switch {
			case strings.EqualFold(field, "createdDateTime"):
			case strings.EqualFold(field, "updatedDateTime"):
				q.byUpdated = true
			default:
				return q, badRequest(codeInvalidQuery, "$orderby", "$orderby: cannot order by %q; use createdDateTime or updatedDateTime, asc or desc", field)
			}
			if dir != "" && !strings.EqualFold(dir, "asc") && !strings.EqualFold(dir, "desc") {
				return q, badRequest(codeInvalidQuery, "$orderby", "$orderby: %q is not asc or desc", dir)
			}
			q.orderBy, q.desc = v, strings.EqualFold(dir, "desc")
		case "$top":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return q, badRequest(codeInvalidQuery, "$top", "$top %q is not a whole number of referrals (0 or more)", v)
			}
			q.top = n
		case "$skip":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return q, badRequest(codeInvalidQuery, "$skip", "$skip %q is not a whole number of referrals (0 or more)", v)
			}
			q.skip = n
		case "$count":
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				q.count = true
			case "false":
			default:
				return q, badRequest(codeInvalidQuery, "$count", "$count %q is not true or false", v)
			}
			q.countText = v
		case "$select":
			sel, e := parseSelect(v)
			if e != nil {
				return q, e
			}
			q.selectText, q.selects = v, sel
		case "$skiptoken":
			c, ok := decodeSkipToken(v)
			if !ok {
				return q, badRequest(codeInvalidQuery, "$skiptoken", "$skiptoken %q was not issued by this service; follow @odata.nextLink as given", v)
			}
			q.after = &c
		default:
			return q, badRequest(codeInvalidQuery, name, "query option %s is not supported; supported: %s", name, supportedOptions)
		}
	}
	return q, nil
}

// parseSelect reads $select: comma-separated property paths of the
// Referral resource ("id,name,customerProfile/address/country"), or *.
func parseSelect(v string) ([][]string, *apiError) {
	if strings.TrimSpace(v) == "*" {
		return nil, nil
	}
	var out [][]string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, badRequest(codeInvalidQuery, "$select", "$select: an empty property name in %q", v)
		}
		t := reflectTypeReferral
		var path []string
		for seg := range strings.SplitSeq(item, "/") {
			st := deref(t)
			if st.Kind() != reflect.Struct || st == timeType {
				return nil, badRequest(codeInvalidQuery, "$select", "$select: %q: %s has no properties", item, strings.Join(path, "/"))
			}
			f, ok := fieldByJSONName(st, seg)
			if !ok {
				return nil, badRequest(codeInvalidQuery, "$select", "$select: the Referral resource has no property %q (in %q)", seg, item)
			}
			path = append(path, f.name)
			t = f.typ
		}
		out = append(out, path)
	}
	return out, nil
}
