package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// IDX is an unsigned-byte array read from an IDX file, the format of MNIST and
// Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian
// header of two zero bytes, a type byte (0x08 = unsigned byte), the number of
// dimensions d, then d big-endian uint32 sizes, then the data in C order.
type IDX struct {
	Dims []int   // sizes, outermost first, e.g. [N, 28, 28] for images, [N] for labels
	Data []uint8 // product(Dims) values in C order
}

// idxMaxBytes bounds what a header may claim (2 GiB), so that a corrupt header is
// reported instead of exhausting memory.
const idxMaxBytes = 1<<31 - 1

// ReadIDX reads an unsigned-byte IDX array from r, which may be gzip-compressed
// (detected by the gzip magic bytes 1f 8b, not by file name). If limit > 0 only the
// first limit entries along the first dimension are read (Dims[0] is reduced to
// match). Errors name what was wrong: bad magic, an element type other than 0x08,
// or data shorter than the header says.
func ReadIDX(r io.Reader, limit int) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("datasets.ReadIDX: gzip header: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("datasets.ReadIDX: reading the 4-byte magic: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("datasets.ReadIDX: magic % x does not start with 00 00; not an IDX file", magic)
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("datasets.ReadIDX: element type 0x%02x, only 0x08 (unsigned byte) is supported", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("datasets.ReadIDX: header declares 0 dimensions")
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("datasets.ReadIDX: reading size of dimension %d of %d: %w", i, nd, err)
		}
		dims[i] = int(d)
		if d == 0 {
			total = 0
		} else if total > 0 && uint64(total)*uint64(d) > idxMaxBytes {
			return nil, fmt.Errorf("datasets.ReadIDX: header sizes %v... exceed 2 GiB; the file is corrupt", dims[:i+1])
		}
		total *= int(d)
	}
	if limit > 0 && limit < dims[0] {
		total = total / dims[0] * limit
		dims[0] = limit
	}
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, br, int64(total))
	if err != nil {
		return nil, fmt.Errorf("datasets.ReadIDX: header %v needs %d data bytes, the file has only %d: %w",
			dims, total, n, err)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// WriteIDX writes an unsigned-byte IDX array (uncompressed; wrap w in a gzip.Writer
// for .gz files). len(data) must equal the product of dims.
func WriteIDX(w io.Writer, dims []int, data []uint8) error {
	if len(dims) == 0 || len(dims) > 255 {
		return fmt.Errorf("datasets.WriteIDX: %d dimensions, want 1 to 255", len(dims))
	}
	total := 1
	for _, d := range dims {
		if d < 0 || d > 1<<31-1 {
			return fmt.Errorf("datasets.WriteIDX: size %d out of the uint32 range", d)
		}
		total *= d
	}
	if total != len(data) {
		return fmt.Errorf("datasets.WriteIDX: dims %v hold %d values, data has %d", dims, total, len(data))
	}
	head := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("datasets.WriteIDX: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("datasets.WriteIDX: %w", err)
	}
	return nil
}
