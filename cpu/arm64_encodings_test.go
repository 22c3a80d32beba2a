package cpu

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// encodingLine is a line of kernels_arm64.s's table of encodings: a macro
// named after its instruction, defined as one WORD whose comment is the
// instruction.
var encodingLine = regexp.MustCompile(`^#define ([A-Z0-9_]+) WORD \$0x([0-9a-f]{8}) // (\S.*)$`)

// wordInsn finds a WORD instruction in a line's code, before its comment.
var wordInsn = regexp.MustCompile(`\bWORD\b`)

// armEncoding is one entry of the table.
type armEncoding struct {
	line        int
	name        string
	word        uint32
	instruction string
}

// TestARM64Encodings checks the instructions that kernels_arm64.s encodes
// by hand, which Go's assembler would not check: every WORD of the file
// is in the table of encodings, each once, with a name that says its
// instruction and is used; and aarch64-linux-gnu-objdump disassembles
// each word to the instruction its comment says. It runs on any
// architecture. Without the disassembler (apt-get install
// binutils-aarch64-linux-gnu) it skips, unless QDQ_REQUIRE_GENERATORS is
// set.
func TestARM64Encodings(t *testing.T) {
	table := readEncodings(t, "kernels_arm64.s")
	if len(table) == 0 {
		t.Fatal("kernels_arm64.s has no encodings")
	}
	objdump, err := exec.LookPath("aarch64-linux-gnu-objdump")
	if err != nil {
		requireGenerators(t, "no aarch64-linux-gnu-objdump on PATH (apt-get install binutils-aarch64-linux-gnu)")
	}
	got := disassemble(t, objdump, table)
	for i, e := range table {
		if want := normalizeInstruction(e.instruction); got[i] != want {
			t.Errorf("kernels_arm64.s:%d: %s: %#08x disassembles to %q, not %q", e.line, e.name, e.word, got[i], want)
		}
	}
}

// readEncodings returns the table of encodings of the assembly file
// path, and fails t for any WORD outside it, any entry defined twice or
// never used, and any name that is not its instruction's.
func readEncodings(t *testing.T, path string) []armEncoding {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var table []armEncoding
	names, words := map[string]bool{}, map[uint32]string{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if code, _, _ := strings.Cut(line, "//"); !wordInsn.MatchString(code) {
			continue
		}
		m := encodingLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s:%d: a WORD outside the table of encodings, or without its instruction: %q", path, n, line)
			continue
		}
		var w uint32
		for _, c := range m[2] {
			w = w<<4 | uint32(strings.IndexRune("0123456789abcdef", c))
		}
		e := armEncoding{line: n, name: m[1], word: w, instruction: m[3]}
		if want := encodingName(e.instruction); e.name != want {
			t.Errorf("%s:%d: %s encodes %q, so its name should be %s", path, n, e.name, e.instruction, want)
		}
		if names[e.name] {
			t.Errorf("%s:%d: %s is defined twice", path, n, e.name)
		}
		if other, ok := words[w]; ok {
			t.Errorf("%s:%d: %s has the encoding of %s", path, n, e.name, other)
		}
		names[e.name], words[w] = true, e.name
		table = append(table, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var code []byte // src without its comments
	for line := range bytes.Lines(src) {
		c, _, _ := bytes.Cut(line, []byte("//"))
		code = append(append(code, c...), '\n')
	}
	for _, e := range table {
		uses := regexp.MustCompile(`\b`+e.name+`\b`).FindAllIndex(code, -1)
		if len(uses) < 2 {
			t.Errorf("%s:%d: %s is never used", path, e.line, e.name)
		}
	}
	return table
}

// encodingName returns the table's name for an instruction written as in
// the Arm manual: the mnemonic, the destination's arrangement (none for a
// scalar destination, as in the across-lanes SMINV), then each operand's
// register or immediate, joined by underscores.
// "FMUL V0.4S, V1.4S, V2.4S" is FMUL_4S_V0_V1_V2 and "SMINV S0, V16.4S"
// SMINV_S0_V16.
func encodingName(instruction string) string {
	mnemonic, operands, _ := strings.Cut(instruction, " ")
	parts := []string{mnemonic}
	for i, op := range strings.Split(operands, ",") {
		op = strings.TrimSpace(op)
		reg, arrangement, _ := strings.Cut(op, ".")
		if i == 0 && arrangement != "" {
			parts = append(parts, arrangement)
		}
		parts = append(parts, strings.TrimPrefix(reg, "#"))
	}
	return strings.Join(parts, "_")
}

// disassemble returns objdump's disassembly of each word of table,
// normalized.
func disassemble(t *testing.T, objdump string, table []armEncoding) []string {
	t.Helper()
	code := make([]byte, 4*len(table))
	for i, e := range table {
		binary.LittleEndian.PutUint32(code[4*i:], e.word)
	}
	bin := filepath.Join(t.TempDir(), "words.bin")
	if err := os.WriteFile(bin, code, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "aarch64", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", objdump, err, out)
	}
	// Lines like "   4:	6eb1e401 	fcmgt	v1.4s, v0.4s, v17.4s".
	insn := regexp.MustCompile(`^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$`)
	got := make([]string, len(table))
	for line := range strings.SplitSeq(string(out), "\n") {
		m := insn.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var off int
		for _, c := range m[1] {
			off = off<<4 | strings.IndexRune("0123456789abcdef", c)
		}
		if off%4 != 0 || off/4 >= len(table) {
			t.Fatalf("unexpected objdump line %q", line)
		}
		got[off/4] = normalizeInstruction(m[3])
	}
	for i, g := range got {
		if g == "" {
			t.Fatalf("objdump printed nothing for %s (%#08x):\n%s", table[i].name, table[i].word, out)
		}
	}
	return got
}

// normalizeInstruction lower-cases s and leaves one space after the
// mnemonic and none around commas.
func normalizeInstruction(s string) string {
	mnemonic, operands, _ := strings.Cut(strings.Join(strings.Fields(strings.ToLower(s)), " "), " ")
	ops := strings.Split(operands, ",")
	for i := range ops {
		ops[i] = strings.TrimSpace(ops[i])
	}
	return mnemonic + " " + strings.Join(ops, ",")
}
