package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"

	"github.com/saturnmq/saturn/store/vfs"
)

// The checkpoint file is 4096 bytes with two 2048-byte slots written
// alternately, so that a write torn by a power loss leaves the other slot
// intact. Each slot starts with upstream's five fields (physic, logics and
// index timestamps, master flushed offset, confirm offset) followed by
// Saturn's: magic, sequence, flushed commit-log offset, dispatched offset
// (consume queues and index are synced up to it), the clean-shutdown flag,
// and a CRC-32 of the slot.
const (
	checkpointSize = 4096
	cpSlotSize     = 2048
	cpMagic        = 0x5341544E434B5054 // "SATNCKPT"

	cpPhysicTs   = 0
	cpLogicsTs   = 8
	cpIndexTs    = 16
	cpMagicOff   = 40
	cpSeq        = 48
	cpFlushed    = 56
	cpDispatched = 64
	cpClean      = 72
	cpCRC        = 80
)

type checkpointData struct {
	PhysicTimestamp int64
	LogicsTimestamp int64
	IndexTimestamp  int64
	Flushed         int64 // commit log synced below this offset
	Dispatched      int64 // consume queues and index synced for records below this offset
	Clean           bool  // written by Close after everything was synced
}

type checkpoint struct {
	file vfs.File
	seq  int64
}

func openCheckpoint(fs vfs.FS, dir string) (*checkpoint, checkpointData, bool, error) {
	name := filepath.Join(dir, "checkpoint")
	f, err := fs.Open(name)
	if err != nil {
		f, err = fs.Create(name, checkpointSize)
		if err != nil {
			return nil, checkpointData{}, false, fmt.Errorf("store: checkpoint: %w", err)
		}
		if err := fs.SyncDir(dir); err != nil {
			f.Close()
			return nil, checkpointData{}, false, err
		}
	}
	if f.Size() != checkpointSize {
		f.Close()
		return nil, checkpointData{}, false, fmt.Errorf("store: checkpoint has %d bytes, want %d", f.Size(), checkpointSize)
	}
	cp := &checkpoint{file: f}
	var best checkpointData
	found := false
	for slot := 0; slot < 2; slot++ {
		b := f.Data()[slot*cpSlotSize:][:cpSlotSize]
		if binary.BigEndian.Uint64(b[cpMagicOff:]) != cpMagic ||
			binary.BigEndian.Uint32(b[cpCRC:]) != crc32.ChecksumIEEE(b[:cpCRC]) {
			continue
		}
		seq := int64(binary.BigEndian.Uint64(b[cpSeq:]))
		if found && seq <= cp.seq {
			continue
		}
		found = true
		cp.seq = seq
		best = checkpointData{
			PhysicTimestamp: int64(binary.BigEndian.Uint64(b[cpPhysicTs:])),
			LogicsTimestamp: int64(binary.BigEndian.Uint64(b[cpLogicsTs:])),
			IndexTimestamp:  int64(binary.BigEndian.Uint64(b[cpIndexTs:])),
			Flushed:         int64(binary.BigEndian.Uint64(b[cpFlushed:])),
			Dispatched:      int64(binary.BigEndian.Uint64(b[cpDispatched:])),
			Clean:           b[cpClean] == 1,
		}
	}
	return cp, best, found, nil
}

// write stores d in the older slot and syncs it.
func (cp *checkpoint) write(d checkpointData) error {
	cp.seq++
	slot := int(cp.seq % 2)
	b := cp.file.Data()[slot*cpSlotSize:][:cpSlotSize]
	be := binary.BigEndian
	clear(b)
	be.PutUint64(b[cpPhysicTs:], uint64(d.PhysicTimestamp))
	be.PutUint64(b[cpLogicsTs:], uint64(d.LogicsTimestamp))
	be.PutUint64(b[cpIndexTs:], uint64(d.IndexTimestamp))
	be.PutUint64(b[cpMagicOff:], cpMagic)
	be.PutUint64(b[cpSeq:], uint64(cp.seq))
	be.PutUint64(b[cpFlushed:], uint64(d.Flushed))
	be.PutUint64(b[cpDispatched:], uint64(d.Dispatched))
	if d.Clean {
		b[cpClean] = 1
	}
	be.PutUint32(b[cpCRC:], crc32.ChecksumIEEE(b[:cpCRC]))
	return cp.file.Sync(int64(slot*cpSlotSize), cpSlotSize)
}

func (cp *checkpoint) close() error { return cp.file.Close() }
