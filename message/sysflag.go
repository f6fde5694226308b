package message

// Magic codes at byte 4 of a stored record, and the blank filler magic that
// marks the unused end of a commit-log segment.
const (
	// MagicV1 starts every record Saturn writes whose topic fits in 127 bytes.
	MagicV1 uint32 = 0xDAA320A7
	// MagicV2 marks records with a two-byte topic length (RocketMQ 5.1+).
	MagicV2 uint32 = 0xDAA320AB
	// BlankMagic is the magic of the end-of-segment filler
	// [int32 remaining][int32 BlankMagic].
	BlankMagic uint32 = 0xCBD43194
)

// SysFlag bits of a stored record (upstream MessageSysFlag).
const (
	// SysFlagCompressed says the body is compressed (zlib unless bits 8-10 say otherwise).
	SysFlagCompressed int32 = 0x1
	// SysFlagMultiTags is set for topics with the MULTI_TAG filter type.
	SysFlagMultiTags int32 = 0x2
	// TransactionNotType is the transaction type of ordinary messages.
	TransactionNotType int32 = 0x0
	// TransactionPreparedType marks a transactional half message.
	TransactionPreparedType int32 = 0x4
	// TransactionCommitType marks a committed transactional message.
	TransactionCommitType int32 = 0x8
	// TransactionRollbackType marks a rolled back transactional message.
	TransactionRollbackType int32 = 0xC
	// SysFlagBornHostV6 says the born host is a 16-byte IPv6 address.
	SysFlagBornHostV6 int32 = 0x10
	// SysFlagStoreHostV6 says the store host is a 16-byte IPv6 address.
	SysFlagStoreHostV6 int32 = 0x20
	// SysFlagNeedUnwrap marks a 5.x inner-batch record the client must unwrap.
	SysFlagNeedUnwrap int32 = 0x40
	// SysFlagInnerBatch marks a 5.x inner-batch record.
	SysFlagInnerBatch int32 = 0x80
	// SysFlagCompressionTypeMask selects the compression type bits 8-10.
	SysFlagCompressionTypeMask int32 = 0x700
	// CompressionLZ4 is the compression type value of LZ4 (already shifted).
	CompressionLZ4 int32 = 0x100
	// CompressionZSTD is the compression type value of ZSTD (already shifted).
	CompressionZSTD int32 = 0x200
	// CompressionZLIB is the compression type value of ZLIB (already shifted).
	CompressionZLIB int32 = 0x300

	transactionMask int32 = 0xC
)

// TransactionType returns the transaction type bits of sysFlag: one of
// TransactionNotType, TransactionPreparedType, TransactionCommitType or
// TransactionRollbackType.
func TransactionType(sysFlag int32) int32 { return sysFlag & transactionMask }

// WithTransactionType returns sysFlag with its transaction type replaced by t.
func WithTransactionType(sysFlag, t int32) int32 {
	return sysFlag&^transactionMask | t&transactionMask
}
