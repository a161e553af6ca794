package mockidp

import (
	"strconv"
	"strings"
)

// maxAcceptRanges bounds the media ranges read from an Accept header:
// browsers send about ten.
const maxAcceptRanges = 32

// prefersHTML reports whether an Accept header asks for a page rather
// than JSON: it names text/html itself, with a weight above the one it
// gives application/json (directly, or through application/* or */*). A
// browser does (text/html at 1, JSON only through */* at 0.8); curl,
// fetch and Go's client (*/* or no header) do not, and a tie goes to
// JSON, the shape scripts rely on.
func prefersHTML(accept string) bool {
	html, json := -1.0, -1.0 // -1: not named; for json, by the most specific range
	jsonRank := 0            // 3 application/json, 2 application/*, 1 */*
	ranges := strings.SplitN(accept, ",", maxAcceptRanges+1)
	for _, r := range ranges[:min(len(ranges), maxAcceptRanges)] {
		mediaType, q, ok := acceptRange(r)
		if !ok {
			continue
		}
		rank := 0
		switch mediaType {
		case "text/html":
			html = max(html, q)
			continue
		case "application/json":
			rank = 3
		case "application/*":
			rank = 2
		case "*/*":
			rank = 1
		default:
			continue
		}
		if rank > jsonRank {
			jsonRank, json = rank, q
		} else if rank == jsonRank {
			json = max(json, q)
		}
	}
	return html > 0 && html > json
}

// acceptRange parses one media range of an Accept header ("text/html",
// "*/*;q=0.8"), lower-cased, with its weight (1 when unsaid). ok is false
// for a range that is not type/subtype or whose q is not a weight.
func acceptRange(r string) (mediaType string, q float64, ok bool) {
	mediaType, params, _ := strings.Cut(r, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	if typ, sub, found := strings.Cut(mediaType, "/"); !found || typ == "" || sub == "" {
		return "", 0, false
	}
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, valid := qvalue(strings.TrimSpace(value))
		if !valid {
			return "", 0, false
		}
		q = v
	}
	return mediaType, q, true
}

// qvalue parses a weight as RFC 9110 §12.4.2 writes it: 0 to 1 with at
// most three decimals ("0.8", "1.000"); nothing else (no NaN, no 1e-1).
func qvalue(s string) (float64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if (whole != "0" && whole != "1") || len(frac) > 3 {
		return 0, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' || (whole == "1" && c != '0') {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
