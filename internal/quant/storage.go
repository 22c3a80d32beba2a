package quant

// Storage is a tensor's element type as the backends see it. float16 and
// bfloat16 elements are held as their uint16 bit patterns and computed in
// float32.
type Storage uint8

// The storage types, numbered as the root package's DType.
const (
	F32  Storage = iota + 1 // IEEE binary32, computed in float32
	F64                     // IEEE binary64, computed in float64
	F16                     // IEEE binary16 bits, computed in float32
	BF16                    // bfloat16 bits, computed in float32
)

var storageNames = [...]string{F32: "float32", F64: "float64", F16: "float16", BF16: "bfloat16"}

// String returns the storage type's name, as TensorFlow spells it.
func (s Storage) String() string {
	if s >= F32 && s <= BF16 {
		return storageNames[s]
	}
	return "invalid"
}

// Size returns the bytes of one element, or 0 for an invalid type.
func (s Storage) Size() int {
	switch s {
	case F32:
		return 4
	case F64:
		return 8
	case F16, BF16:
		return 2
	}
	return 0
}
