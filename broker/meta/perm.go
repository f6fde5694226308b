package meta

// Permission bits of a topic (and of a whole broker). A topic's perm is valid
// when 0 ≤ perm < 8; PermPriority is never set on topics.
const (
	PermPriority int32 = 8
	PermRead     int32 = 4
	PermWrite    int32 = 2
	// PermInherit marks a topic that may serve as the template for automatic
	// topic creation (TBW102 when auto-creation is enabled).
	PermInherit int32 = 1

	// PermReadWrite is the perm of an ordinary topic.
	PermReadWrite = PermRead | PermWrite
)

// Readable reports whether perm allows consumers to read.
func Readable(perm int32) bool { return perm&PermRead != 0 }

// Writable reports whether perm allows producers to write.
func Writable(perm int32) bool { return perm&PermWrite != 0 }

// Inherited reports whether perm marks an auto-creation template.
func Inherited(perm int32) bool { return perm&PermInherit != 0 }

// ValidPerm reports whether perm is an acceptable topic permission.
func ValidPerm(perm int32) bool { return perm >= 0 && perm < PermPriority }

// PermString renders perm the way mqadmin does: "RWX" with '-' for a missing
// bit, where X stands for inherit ("RW-" for an ordinary topic).
func PermString(perm int32) string {
	b := [3]byte{'-', '-', '-'}
	if Readable(perm) {
		b[0] = 'R'
	}
	if Writable(perm) {
		b[1] = 'W'
	}
	if Inherited(perm) {
		b[2] = 'X'
	}
	return string(b[:])
}

// Topic sysFlag bits.
const (
	// TopicSysFlagUnit marks a unit topic.
	TopicSysFlagUnit int32 = 1 << 0
	// TopicSysFlagUnitSub marks a unit-subscription topic.
	TopicSysFlagUnitSub int32 = 1 << 1
)
