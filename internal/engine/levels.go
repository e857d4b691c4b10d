package engine

// levelIndex maps a side key (see sideKey) to its level, so adding to an
// existing level costs one probe of a small table instead of a search of the
// ladder. Bid keys are positive and ask keys negative, so both sides share
// one table. Same scheme as idIndex: linear probing, backward-shift deletes.
type levelIndex struct {
	entries []levelEntry
	mask    uint64
	shift   uint
	count   int
}

// levelEntry holds lvl+1 so that the zero value marks an empty entry.
type levelEntry struct {
	key int64
	lvl int32
}

func newLevelIndex(expected int) levelIndex {
	var x levelIndex
	x.init(tableSize(expected))
	return x
}

func (x *levelIndex) init(size int) {
	x.entries = make([]levelEntry, size)
	x.mask = uint64(size - 1)
	x.shift = 64
	for s := size; s > 1; s >>= 1 {
		x.shift--
	}
	x.count = 0
}

func (x *levelIndex) home(key int64) uint64 {
	return (uint64(key) * fibMul) >> x.shift
}

// get returns the level of key, or -1.
func (x *levelIndex) get(key int64) int32 {
	for i := x.home(key); ; i = (i + 1) & x.mask {
		e := &x.entries[i]
		if e.lvl == 0 {
			return -1
		}
		if e.key == key {
			return e.lvl - 1
		}
	}
}

// put inserts key, which must not be present.
func (x *levelIndex) put(key int64, lvl int32) {
	if (x.count+1)*2 > len(x.entries) {
		x.grow()
	}
	i := x.home(key)
	for x.entries[i].lvl != 0 {
		i = (i + 1) & x.mask
	}
	x.entries[i] = levelEntry{key: key, lvl: lvl + 1}
	x.count++
}

// del removes key, which must be present.
func (x *levelIndex) del(key int64) {
	i := x.home(key)
	for x.entries[i].key != key || x.entries[i].lvl == 0 {
		i = (i + 1) & x.mask
	}
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		e := x.entries[j]
		if e.lvl == 0 {
			break
		}
		h := x.home(e.key)
		if (j-h)&x.mask >= (j-i)&x.mask {
			x.entries[i] = e
			i = j
		}
	}
	x.entries[i] = levelEntry{}
	x.count--
}

func (x *levelIndex) grow() {
	old := x.entries
	x.init(len(old) * 2)
	for _, e := range old {
		if e.lvl != 0 {
			x.put(e.key, e.lvl-1)
		}
	}
}
