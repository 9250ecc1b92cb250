package qemujson

// QEMU keeps a JSON object in a QDict, a hash table of 512 buckets whose
// iteration order is the order of the buckets, the newest entry first
// within one. Where QEMU's behaviour depends on that order (which of two
// bad members of a request it reports, the order of the members it
// prints), DictOrder reproduces it.

const qdictBuckets = 512

// tdbHash is qobject/qdict.c's tdb_hash.
func tdbHash(name []byte) uint32 {
	value := 0x238F13AF * uint32(len(name))
	for i, c := range name {
		value += uint32(c) << (uint(i) * 5 % 24)
	}
	return 1103515243*value + 12345
}

// DictOrder returns the indices of members in the order QEMU iterates the
// QDict it builds from them (members' keys must be distinct).
func DictOrder(members []Member, idx []int) []int {
	idx = idx[:0]
	for i := range members {
		idx = append(idx, i)
	}
	bucket := func(i int) uint32 { return tdbHash(members[i].Key) % qdictBuckets }
	// Insertion sort: objects here have a handful of members.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0; j-- {
			a, b := idx[j-1], idx[j]
			ba, bb := bucket(a), bucket(b)
			// Same bucket: the later member comes first.
			if ba < bb || ba == bb && a > b {
				break
			}
			idx[j-1], idx[j] = b, a
		}
	}
	return idx
}
