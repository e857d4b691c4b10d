package engine

// ladder holds the price levels of one side sorted by key ascending, where
// the key is the price for bids and minus the price for asks. The best level
// is therefore always at the end, so taking or emptying the best level is a
// pop and new prices near the top move only a few entries.
type ladder struct {
	keys []int64
	lvls []int32
}

// search returns the position of key, or where it would be inserted.
func (l *ladder) search(key int64) (int, bool) {
	keys := l.keys
	n := len(keys)
	// Most activity is at the top of the book: look at the last few
	// entries before falling back to a binary search.
	for i, stop := n-1, max(n-4, 0); i >= stop; i-- {
		k := keys[i]
		if k == key {
			return i, true
		}
		if k < key {
			return i + 1, false
		}
	}
	lo, hi := 0, max(n-4, 0)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if keys[mid] < key {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < n && keys[lo] == key
}

func (l *ladder) insert(pos int, key int64, lvl int32) {
	l.keys = append(l.keys, 0)
	l.lvls = append(l.lvls, 0)
	if pos < len(l.keys)-1 {
		copy(l.keys[pos+1:], l.keys[pos:])
		copy(l.lvls[pos+1:], l.lvls[pos:])
	}
	l.keys[pos] = key
	l.lvls[pos] = lvl
}

func (l *ladder) remove(pos int) {
	n := len(l.keys) - 1
	if pos < n {
		copy(l.keys[pos:], l.keys[pos+1:])
		copy(l.lvls[pos:], l.lvls[pos+1:])
	}
	l.keys = l.keys[:n]
	l.lvls = l.lvls[:n]
}
