package drivers

import "encoding/binary"

// batchHeader is the fixed header of a record batch (magic v2): base
// offset 8, length 4, leader epoch 4, magic 1, CRC 4, attributes 2, last
// offset delta 4, first and max timestamps 8 each, producer id 8,
// producer epoch 2, base sequence 4, record count 4.
const batchHeader = 61

// BatchSize returns the bytes of an uncompressed record batch holding one
// record, with a key of key bytes (0: no key), a value of value bytes and
// no headers, as a producer sends it and brokers compare it with
// max.message.bytes:
//
//	61 + varint(n) + n, where
//	n = 1 (attributes) + 1 (timestamp delta 0) + 1 (offset delta 0)
//	  + varint(key length, -1 for none) + key + varint(value length) + value
//	  + 1 (header count 0)
func BatchSize(key, value int) int64 {
	keyLen := int64(key)
	if key == 0 {
		keyLen = -1
	}
	n := 3 + varintLen(keyLen) + int64(key) + varintLen(int64(value)) + int64(value) + 1
	return batchHeader + varintLen(n) + n
}

// varintLen is the length of v as a zigzag varint, Kafka's encoding of
// lengths and deltas in a record.
func varintLen(v int64) int64 {
	return int64(len(binary.AppendVarint(nil, v)))
}

// Size returns a record's size as l measures it: the batch holding it
// alone (BatchSize) when l.Batch, else its key and value bytes.
func (l RecordLimit) Size(key, value int) int64 {
	if l.Batch {
		return BatchSize(key, value)
	}
	return int64(key) + int64(value)
}

// Fits reports whether a record of key and value bytes is within l.
func (l RecordLimit) Fits(key, value int) bool { return l.Size(key, value) <= l.Bytes }
