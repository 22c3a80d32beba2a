package weights

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/atomicfile"
	"github.com/qdqvk/qdq/internal/npy"
	"github.com/qdqvk/qdq/internal/safetensors"
)

// ReadNPY reads a .npy file of float32 ('<f4'), float64 ('<f8') or
// float16 ('<f2') values as a tensor of that dtype. An array of 16-bit
// words ('<u2' or '|V2', as NumPy saves bfloat16 from ml_dtypes or torch)
// is read as bfloat16 bits when bfloat16 is set, and refused otherwise.
func ReadNPY(path string, bfloat16 bool) (qdq.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return qdq.Tensor{}, fileError(path, "", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return qdq.Tensor{}, fileError(path, "", err)
	}
	if !st.Mode().IsRegular() {
		return qdq.Tensor{}, fileError(path, "", fmt.Errorf("not a regular file"))
	}
	arr, err := npy.Read(bufio.NewReaderSize(f, 1<<16), st.Size())
	if err != nil {
		return qdq.Tensor{}, fileError(path, "", err)
	}
	var t qdq.Tensor
	switch {
	case arr.Descr == "<f4":
		t, err = qdq.NewTensor(arr.Shape, arr.F32)
	case arr.Descr == "<f8":
		t, err = qdq.NewTensor(arr.Shape, arr.F64)
	case arr.Descr == "<f2" && !bfloat16:
		t, err = qdq.NewTensorBits(qdq.F16, arr.Shape, arr.U16)
	case arr.Descr != "<f2" && bfloat16:
		t, err = qdq.NewTensorBits(qdq.BF16, arr.Shape, arr.U16)
	default:
		err = fmt.Errorf("the array holds %q, not %s", arr.Descr, map[bool]string{true: "bfloat16 words ('<u2' or '|V2')", false: "float16, float32 or float64"}[bfloat16])
	}
	if err != nil {
		return qdq.Tensor{}, fileError(path, "", err)
	}
	return t, nil
}

// npyDescr is the .npy descriptor each dtype is written with.
var npyDescr = map[qdq.DType]string{qdq.F32: "<f4", qdq.F64: "<f8", qdq.F16: "<f2", qdq.BF16: "|V2"}

// WriteNPY writes t to path as a .npy file, as NumPy's np.save does
// (bfloat16 as 16-bit words, '|V2'), through a temporary file renamed into
// place when complete.
func WriteNPY(path string, t qdq.Tensor) error {
	descr, ok := npyDescr[t.DType()]
	if !ok {
		return &qdq.Error{Kind: qdq.ErrDType, Msg: fmt.Sprintf("%s: invalid tensor: dtype %v", path, t.DType())}
	}
	var data any
	switch t.DType() {
	case qdq.F32:
		data, _ = qdq.Data[float32](t)
	case qdq.F64:
		data, _ = qdq.Data[float64](t)
	default:
		data = t.Bits16()
	}
	err := atomicfile.WriteFile(path, atomicfile.Options{}, func(w io.Writer) error {
		return npy.Write(w, descr, t.Shape(), data)
	})
	if err != nil {
		return outputError(err)
	}
	return nil
}

// Named is a tensor of a weight file with its name.
type Named struct {
	Name   string
	Tensor qdq.Tensor
}

// ReadSafetensors reads the floating tensors (F32, F64, F16, BF16) of a
// .safetensors file into memory, in file order, with the file's metadata;
// tensors of other dtypes are left out. It reads the whole file: for files
// larger than memory, QuantizeFile streams them.
func ReadSafetensors(path string) ([]Named, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fileError(path, "", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fileError(path, "", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fileError(path, "", fmt.Errorf("not a regular file"))
	}
	hdr, err := safetensors.ReadHeader(f, st.Size())
	if err != nil {
		return nil, nil, fileError(path, "", err)
	}
	var out []Named
	for _, t := range hdr.Tensors {
		dtype, ok := fileDTypes[t.DType]
		if !ok {
			continue
		}
		b := alignedBytes(t.End - t.Begin)
		if _, err := f.ReadAt(b, hdr.DataOffset+t.Begin); err != nil {
			return nil, nil, fileError(path, t.Name, err)
		}
		tn, err := qdq.TensorFromBytes(dtype, t.Shape, b)
		if err != nil {
			return nil, nil, fileError(path, t.Name, err)
		}
		out = append(out, Named{Name: t.Name, Tensor: tn})
	}
	return out, hdr.Metadata, nil
}

// fileDTypeNames is the .safetensors name of each dtype.
var fileDTypeNames = map[qdq.DType]string{qdq.F32: "F32", qdq.F64: "F64", qdq.F16: "F16", qdq.BF16: "BF16"}

// WriteSafetensors writes tensors, in order, and metadata (when not nil)
// to path as a .safetensors file, through a temporary file renamed into
// place when complete.
func WriteSafetensors(path string, tensors []Named, metadata map[string]string) error {
	ts := make([]safetensors.Tensor, len(tensors))
	for i, n := range tensors {
		dtype, ok := fileDTypeNames[n.Tensor.DType()]
		if !ok {
			return &qdq.Error{Kind: qdq.ErrDType, Msg: fmt.Sprintf("%s: tensor %q: invalid tensor: dtype %v", path, n.Name, n.Tensor.DType())}
		}
		ts[i] = safetensors.Tensor{Name: n.Name, DType: dtype, Shape: n.Tensor.Shape()}
	}
	err := atomicfile.WriteFile(path, atomicfile.Options{}, func(w io.Writer) error {
		sw, err := safetensors.NewWriter(w, ts, metadata)
		if err != nil {
			return err
		}
		for _, n := range tensors {
			if err := sw.WriteTensor(n.Tensor.Bytes()); err != nil {
				return err
			}
		}
		return sw.Close()
	})
	if err != nil {
		return outputError(err)
	}
	return nil
}
