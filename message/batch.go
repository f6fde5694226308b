package message

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// batchFixed is the fixed part of one batch record: total size, magic, body
// CRC, flag, body length and properties length.
const batchFixed = 22

// ErrMalformedBatch: a SEND_BATCH_MESSAGE body does not parse.
var ErrMalformedBatch = errors.New("message: malformed batch")

// BatchItem is one message of a SEND_BATCH_MESSAGE body. Body and Properties
// alias the decoded buffer; Properties is the encoded properties string.
type BatchItem struct {
	Flag       int32
	Body       []byte
	Properties []byte
}

// EncodeBatch encodes msgs as the body of SEND_BATCH_MESSAGE: per message
// [int32 total][int32 magic 0][int32 crc 0][int32 flag][int32 body length]
// [body][int16 properties length][properties]. Topics are not encoded (the
// batch's topic travels in the request header).
func EncodeBatch(msgs []*Message) ([]byte, error) {
	return AppendBatch(nil, msgs)
}

// AppendBatch appends the batch encoding of msgs to dst (see EncodeBatch).
func AppendBatch(dst []byte, msgs []*Message) ([]byte, error) {
	be := binary.BigEndian
	for i, m := range msgs {
		pl := PropertiesLength(m.Properties)
		if pl > MaxPropertiesLength {
			return dst, fmt.Errorf("batch message %d: %w: %d bytes", i, ErrPropertiesTooLong, pl)
		}
		total := batchFixed + len(m.Body) + pl
		if total > 1<<31-1 {
			return dst, fmt.Errorf("batch message %d: %w", i, ErrTooLarge)
		}
		dst = be.AppendUint32(dst, uint32(total))
		dst = be.AppendUint32(dst, 0)
		dst = be.AppendUint32(dst, 0)
		dst = be.AppendUint32(dst, uint32(m.Flag))
		dst = be.AppendUint32(dst, uint32(len(m.Body)))
		dst = append(dst, m.Body...)
		dst = be.AppendUint16(dst, uint16(pl))
		dst = AppendProperties(dst, m.Properties)
	}
	return dst, nil
}

// DecodeBatch splits a SEND_BATCH_MESSAGE body into its messages without
// copying. Every record's total size must equal 22 + body length +
// properties length and lie inside body; otherwise it returns an error
// wrapping ErrMalformedBatch. An empty body is malformed too.
func DecodeBatch(body []byte) ([]BatchItem, error) {
	return AppendBatchItems(nil, body)
}

// AppendBatchItems is DecodeBatch appending the messages to dst, so that a
// caller can decode into memory it provides (a batch's items on its stack).
// On error it returns nil.
func AppendBatchItems(dst []BatchItem, body []byte) ([]BatchItem, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformedBatch)
	}
	be := binary.BigEndian
	out := dst
	for off := 0; off < len(body); {
		r := body[off:]
		if len(r) < batchFixed {
			return nil, fmt.Errorf("%w: record at byte %d: %d bytes left, need %d", ErrMalformedBatch, off, len(r), batchFixed)
		}
		total := int64(int32(be.Uint32(r)))
		if total < batchFixed || total > int64(len(r)) {
			return nil, fmt.Errorf("%w: record at byte %d: total size %d, %d bytes left", ErrMalformedBatch, off, total, len(r))
		}
		r = r[:total]
		flag := int32(be.Uint32(r[12:]))
		bodyLen := int64(int32(be.Uint32(r[16:])))
		if bodyLen < 0 || bodyLen > total-batchFixed {
			return nil, fmt.Errorf("%w: record at byte %d: body length %d in record of %d", ErrMalformedBatch, off, bodyLen, total)
		}
		p := 20 + int(bodyLen)
		propsLen := int(int16(be.Uint16(r[p:])))
		if propsLen < 0 {
			return nil, fmt.Errorf("%w: record at byte %d: negative properties length", ErrMalformedBatch, off)
		}
		if int64(p+2+propsLen) != total {
			return nil, fmt.Errorf("%w: record at byte %d: lengths add up to %d, total size %d", ErrMalformedBatch, off, p+2+propsLen, total)
		}
		out = append(out, BatchItem{
			Flag:       flag,
			Body:       r[20:p:p],
			Properties: r[p+2 : total : total],
		})
		off += int(total)
	}
	return out, nil
}
