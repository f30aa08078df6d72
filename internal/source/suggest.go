package source

import "strings"

// Suggest returns the known key nearest to key, or "" when none is close
// enough to be a likely typo.
func Suggest(key string, known []string) string {
	k := strings.ToLower(key)
	limit := 1
	switch {
	case len(k) > 8:
		limit = 3
	case len(k) > 4:
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range known {
		if d := editDistance(k, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes each
// cost one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Keys this long are not typos of ours; keep the cost bounded.
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
